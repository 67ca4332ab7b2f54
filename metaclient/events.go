package metaclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
)

// OnCreate delivers wamp.registration.on_create events. Handlers run in
// the client's ordered event delivery (see client.Client.Subscribe): the
// handlers of OnCreate, OnRegister, OnUnregister and OnDelete on one client
// see the events in the order the router published them (on_create before
// on_register, on_unregister before on_delete), one at a time. A malformed
// event is reported (WithLogger, WithErrorHandler) and skipped.
func (m *Client) OnCreate(ctx context.Context, h func(CreateEvent)) (*client.Subscription, error) {
	if err := checkHandler(TopicOnCreate, h); err != nil {
		return nil, err
	}
	return m.subscribe(ctx, TopicOnCreate, func(e Event) {
		h(CreateEvent{Session: e.Session, Registration: e.Registration})
	})
}

// OnRegister delivers wamp.registration.on_register events.
func (m *Client) OnRegister(ctx context.Context, h func(RegisterEvent)) (*client.Subscription, error) {
	if err := checkHandler(TopicOnRegister, h); err != nil {
		return nil, err
	}
	return m.subscribe(ctx, TopicOnRegister, func(e Event) {
		h(RegisterEvent{Session: e.Session, RegistrationID: e.Registration.ID})
	})
}

// OnUnregister delivers wamp.registration.on_unregister events.
func (m *Client) OnUnregister(ctx context.Context, h func(UnregisterEvent)) (*client.Subscription, error) {
	if err := checkHandler(TopicOnUnregist, h); err != nil {
		return nil, err
	}
	return m.subscribe(ctx, TopicOnUnregist, func(e Event) {
		h(UnregisterEvent{Session: e.Session, RegistrationID: e.Registration.ID, Reason: e.Reason})
	})
}

// OnDelete delivers wamp.registration.on_delete events.
func (m *Client) OnDelete(ctx context.Context, h func(DeleteEvent)) (*client.Subscription, error) {
	if err := checkHandler(TopicOnDelete, h); err != nil {
		return nil, err
	}
	return m.subscribe(ctx, TopicOnDelete, func(e Event) {
		h(DeleteEvent{Session: e.Session, RegistrationID: e.Registration.ID})
	})
}

// checkHandler refuses a nil handler at the call rather than at the first
// event.
func checkHandler[F any](topic string, h func(F)) error {
	if h == nil {
		return fmt.Errorf("metaclient: subscribe %s: %w: nil handler", topic, client.ErrInvalidOption)
	}
	return nil
}

// subscribe delivers the events of one lifecycle topic to h; a malformed
// one is reported and skipped.
func (m *Client) subscribe(ctx context.Context, topic string, h func(Event)) (*client.Subscription, error) {
	sub, err := m.c.Subscribe(ctx, topic, func(ev *client.Event) {
		if e, err := m.parseEvent(topic, ev); err == nil {
			h(e)
		}
	}, client.SubscribeOptions{})
	if err != nil {
		return nil, fmt.Errorf("metaclient: subscribe %s: %w", topic, err)
	}
	return sub, nil
}

func (m *Client) report(err error) {
	m.log.Warn("wamp meta event dropped", "error", err)
	if m.onError != nil {
		m.onError(err)
	}
}

// parseEvent reads a lifecycle event published to topic, or reports it as
// malformed.
func (m *Client) parseEvent(topic string, ev *client.Event) (Event, error) {
	e, err := decodeEvent(topic, ev)
	if err != nil {
		err = fmt.Errorf("metaclient: malformed %s event %v: %w", topic, ev.Args, err)
		m.report(err)
	}
	return e, err
}

// decodeEvent reads a lifecycle event published to topic.
func decodeEvent(topic string, ev *client.Event) (Event, error) {
	var e Event
	var err error
	switch topic {
	case TopicOnCreate:
		e.Kind = Created
		if e.Session, err = eventSession(ev); err == nil {
			if len(ev.Args) < 2 {
				return e, errors.New("no registration details")
			}
			e.Registration, err = decodeRegistration(ev.Args[1])
		}
	case TopicOnRegister:
		e.Kind = CalleeAdded
		e.Session, e.Registration.ID, err = sessionAndID(ev)
	case TopicOnUnregist:
		e.Kind = CalleeRemoved
		e.Session, e.Registration.ID, err = sessionAndID(ev)
		e.Reason = eventReason(ev)
	case TopicOnDelete:
		e.Kind = Deleted
		e.Session, e.Registration.ID, err = sessionAndID(ev)
	default:
		return e, fmt.Errorf("unexpected topic %q", topic)
	}
	return e, err
}

// eventTopic is the topic of an event a prefix subscription received.
func eventTopic(ev *client.Event) string {
	var topic string
	_ = codec.DecodeValue(ev.Details["topic"], &topic) // not a string: unexpected topic ""
	return topic
}

// eventReason is the reason of an on_unregister event, when the router
// gives one: args[2] or kwargs "reason" (a string).
func eventReason(ev *client.Event) string {
	if len(ev.Args) > 2 {
		if s, ok := ev.Args[2].(string); ok {
			return s
		}
	}
	s, _ := ev.Kwargs["reason"].(string)
	return s
}

func eventSession(ev *client.Event) (client.ID, error) {
	if len(ev.Args) < 1 {
		return 0, errors.New("no session ID")
	}
	s, err := decodeID(ev.Args[0])
	if err != nil {
		return 0, fmt.Errorf("session: %w", err)
	}
	return s, nil
}

func sessionAndID(ev *client.Event) (client.ID, client.ID, error) {
	s, err := eventSession(ev)
	if err != nil {
		return 0, 0, err
	}
	if len(ev.Args) < 2 {
		return 0, 0, errors.New("no registration ID")
	}
	r, err := decodeID(ev.Args[1])
	if err != nil {
		return 0, 0, fmt.Errorf("registration: %w", err)
	}
	if r == 0 {
		return 0, 0, errors.New("registration ID is 0 or null")
	}
	return s, r, nil
}

// Event is any of the four lifecycle events, as OnEvents delivers them and
// the [Registry] applies them.
type Event struct {
	Kind         ChangeKind // Created, CalleeAdded (on_register), CalleeRemoved (on_unregister), Deleted
	Session      client.ID
	Registration Registration // for Created: the details; otherwise only ID is set
	Reason       string       // for CalleeRemoved: see UnregisterEvent.Reason
}

// OnEvents delivers all four lifecycle events through one subscription, in
// the order the router published them: on_create before on_register,
// on_unregister before on_delete, for the events one session causes.
// Routers may publish the events of different sessions concurrently: on
// nexus another session's on_register can overtake the on_create it
// follows.
func (m *Client) OnEvents(ctx context.Context, h func(Event)) (*client.Subscription, error) {
	if err := checkHandler("wamp.registration.on_*", h); err != nil {
		return nil, err
	}
	sub, err := m.c.Subscribe(ctx, "wamp.registration.on_", func(ev *client.Event) {
		if e, err := m.parseEvent(eventTopic(ev), ev); err == nil {
			h(e)
		}
	}, client.SubscribeOptions{Match: client.MatchPrefix})
	if err != nil {
		return nil, fmt.Errorf("metaclient: subscribe lifecycle events: %w", err)
	}
	return sub, nil
}
