package metaclient_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// A malformed event is reported and skipped; the valid event after it is
// still delivered. Each batch ends with one valid event.
func TestMalformedEventsSkipped(t *testing.T) {
	details := wamp.Dict{"id": 2, "uri": "com.x", "match": "", "invoke": "", "created": "2026-03-03T09:16:37-1000"}
	ids := eventBatch{
		{},                      // no arguments
		{uint64(1)},             // no registration
		{"x", uint64(2)},        // session not an ID
		{uint64(1), uint64(0)},  // registration 0
		{uint64(1), "y"},        // registration not an ID
		{uint64(1), -2.5},       // negative fraction
		{uint64(5), float64(6)}, // valid (JSON float)
	}
	for name, tc := range map[string]struct {
		topic     string
		batch     eventBatch
		subscribe func(m *metaclient.Client, got func(string)) error
		want      string
	}{
		"on_create": {metaclient.TopicOnCreate, eventBatch{
			{}, {uint64(1)}, {uint64(1), "not a dict"}, {uint64(1), wamp.Dict{"id": 2}}, {uint64(1), wamp.Dict{"uri": "com.x"}},
			{uint64(1), details},
		}, func(m *metaclient.Client, got func(string)) error {
			_, err := m.OnCreate(context.Background(), func(e metaclient.CreateEvent) {
				got(fmtEvent(e.Session, e.Registration.ID) + " " + e.Registration.URI + " " + string(e.Registration.Match) + " " + string(e.Registration.Invoke))
			})
			return err
		}, "1 2 com.x exact single"},
		"on_register": {metaclient.TopicOnRegister, ids, func(m *metaclient.Client, got func(string)) error {
			_, err := m.OnRegister(context.Background(), func(e metaclient.RegisterEvent) { got(fmtEvent(e.Session, e.RegistrationID)) })
			return err
		}, "5 6"},
		"on_unregister": {metaclient.TopicOnUnregist, ids, func(m *metaclient.Client, got func(string)) error {
			_, err := m.OnUnregister(context.Background(), func(e metaclient.UnregisterEvent) { got(fmtEvent(e.Session, e.RegistrationID)) })
			return err
		}, "5 6"},
		"on_delete": {metaclient.TopicOnDelete, ids, func(m *metaclient.Client, got func(string)) error {
			_, err := m.OnDelete(context.Background(), func(e metaclient.DeleteEvent) { got(fmtEvent(e.Session, e.RegistrationID)) })
			return err
		}, "5 6"},
	} {
		t.Run(name, func(t *testing.T) {
			var (
				mu     sync.Mutex
				errs   []error
				events []string
			)
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, nil))
			c, err := wamptest.ConnectLocal(context.Background(), scripted{tc.topic: tc.batch}, client.WithoutReconnect())
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close(context.Background()) })
			m := metaclient.New(c, metaclient.WithLogger(logger), metaclient.WithErrorHandler(func(err error) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}))
			require.NoError(t, tc.subscribe(m, func(s string) {
				mu.Lock()
				events = append(events, s)
				mu.Unlock()
			}))
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(events) == 1
			}, 2*time.Second, 5*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{tc.want}, events)
			assert.Len(t, errs, len(tc.batch)-1, "every malformed event reported")
			for _, err := range errs {
				assert.ErrorContains(t, err, "metaclient: malformed "+tc.topic+" event")
			}
			assert.Contains(t, logs.String(), "level=WARN")
		})
	}
}

func fmtEvent(s, id client.ID) string { return fmt.Sprintf("%d %d", s, id) }

// syncWriter lets the logger write under the test's lock.
type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestNilHandlersAndOptions(t *testing.T) {
	// A nil logger keeps the silent default rather than panicking at the
	// first malformed event.
	c, err := wamptest.ConnectLocal(context.Background(), scripted{metaclient.TopicOnDelete: eventBatch{{}, {uint64(1), uint64(2)}}},
		client.WithoutReconnect())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	m := metaclient.New(c, metaclient.WithLogger(nil), nil)
	ctx := context.Background()
	_, err = m.OnCreate(ctx, nil)
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = m.OnEvents(ctx, nil)
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	got := make(chan metaclient.DeleteEvent, 1)
	_, err = m.OnDelete(ctx, func(e metaclient.DeleteEvent) { got <- e })
	require.NoError(t, err)
	select {
	case e := <-got:
		assert.Equal(t, metaclient.DeleteEvent{Session: 1, RegistrationID: 2}, e)
	case <-time.After(2 * time.Second):
		t.Fatal("the valid event after a malformed one was not delivered")
	}
	assert.Equal(t, "ChangeKind(99)", metaclient.ChangeKind(99).String())
	assert.Equal(t, "callee-removed", metaclient.CalleeRemoved.String())
}
