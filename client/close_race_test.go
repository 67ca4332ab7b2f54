package client_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	kit "github.com/wampkit/wampkit/client/wamptest"
)

// holdOnLoss is a log handler that holds the client's supervisor where it
// reports a lost session (after it looked whether the client was closing,
// before it closes the client for that loss) until Close has taken the
// client: requests fail with ErrClosed, which only Close can have made so
// while the supervisor is held. That is the window in which a Close and a
// loss race; a loss that comes later than Close is not held.
type holdOnLoss struct {
	c       atomic.Pointer[client.Client]
	entered chan struct{} // closed when the supervisor reports the loss
	once    sync.Once
	held    atomic.Bool // the supervisor was held until Close took the client
}

func (h *holdOnLoss) Enabled(context.Context, slog.Level) bool { return true }
func (h *holdOnLoss) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *holdOnLoss) WithGroup(string) slog.Handler            { return h }

func (h *holdOnLoss) Handle(_ context.Context, r slog.Record) error {
	c := h.c.Load()
	if r.Message != "wamp session lost" || c == nil {
		return nil
	}
	h.once.Do(func() { close(h.entered) })
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		_, err := c.Publish(context.Background(), "com.example.probe", client.Payload{}, client.PublishOptions{})
		if errors.Is(err, client.ErrClosed) {
			h.held.Store(true)
			return nil
		}
	}
	return nil
}

// Close racing a loss of the connection, many times: whatever the order,
// an explicit Close leaves a client whose Err is nil (as Err's doc says for
// a closed client) and whose requests fail with ErrClosed alone, not with
// the loss the supervisor saw as Close began.
func TestCloseRacingALossLeavesErrNil(t *testing.T) {
	r := kit.NewRouter(t)
	const rounds = 30
	held := 0
	for i := range rounds {
		h := &holdOnLoss{entered: make(chan struct{})}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := r.Dial(ctx, client.WithoutReconnect(), client.WithFailFast(), client.WithLogger(slog.New(h)))
		require.NoError(t, err)
		h.c.Store(c)
		var (
			wg       sync.WaitGroup
			closeErr error
		)
		drop := func() {
			defer wg.Done()
			_ = r.DropClient(c) // fails when Close ended the link first
		}
		closeIt := func() {
			defer wg.Done()
			closeErr = c.Close(ctx)
		}
		wg.Add(2)
		switch i % 3 {
		case 0: // the loss is being handled when Close comes
			go drop()
			select {
			case <-h.entered:
			case <-time.After(5 * time.Second):
				t.Fatal("the client did not report the lost session")
			}
			go closeIt()
		case 1: // together
			go drop()
			go closeIt()
		case 2: // Close first
			go closeIt()
			time.Sleep(time.Millisecond)
			go drop()
		}
		wg.Wait()
		require.NoError(t, closeErr, "round %d", i)
		assert.Equal(t, client.Closed, c.State(), "round %d", i)
		assert.NoError(t, c.Err(), "round %d: Err after an explicit Close", i)
		_, err = c.Publish(ctx, "com.example.after", client.Payload{}, client.PublishOptions{})
		assert.ErrorIs(t, err, client.ErrClosed, "round %d", i)
		assert.NotErrorIs(t, err, client.ErrConnectionLost, "round %d: a request after Close names the loss", i)
		if h.held.Load() {
			held++
		}
		cancel()
	}
	t.Logf("%d of %d rounds had Close come while the loss was being handled", held, rounds)
	require.Positive(t, held, "no round had Close come while the loss was being handled")
}
