package metaclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wampkit/wampkit/client"
)

// Bounds of WaitForProcedure's re-checks: the first poll interval, and the
// longest one (also the re-check period while meta events wake it).
const (
	waitPollMin = 20 * time.Millisecond
	waitPollMax = time.Second
)

// WaitForProcedure returns once a registration exists that would route a
// call of uri: an exact registration of uri, or a prefix or wildcard
// pattern matching it under the spec's rules. It returns that
// registration's ID. When ctx ends first it returns ctx's error, wrapped;
// other errors of the router (such as client.ErrNotAuthorized) end the wait
// at once.
//
// It asks the router with wamp.registration.match, which applies the
// router's own matching rules. It subscribes to the lifecycle events first
// and asks again whenever one arrives (on_create, on_register: no event can
// fall between the subscription and the first question), and at least every
// second besides: registrations that fire no meta events (Crossbar's
// router-to-router links) and events lost at a reconnect are caught within
// that second. On a router whose meta events cannot be subscribed to, it
// polls, every 20ms at first, backing off to every second. On a router
// without wamp.registration.match it asks wamp.registration.lookup for an
// exact registration of uri instead (patterns are then not seen).
func (m *Client) WaitForProcedure(ctx context.Context, uri string) (client.ID, error) {
	if uri == "" {
		return 0, fmt.Errorf("metaclient: wait for procedure: %w: empty uri", client.ErrInvalidOption)
	}
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	events := false
	sub, err := m.c.Subscribe(ctx, "wamp.registration.on_", func(*client.Event) { poke() },
		client.SubscribeOptions{Match: client.MatchPrefix, OnGap: func(client.Gap) { poke() }})
	if err == nil {
		events = true
		defer func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_ = sub.Unsubscribe(uctx)
		}()
	} else if ctx.Err() != nil {
		return 0, fmt.Errorf("metaclient: wait for %s: %w", uri, ctx.Err())
	}

	useMatch := true
	interval := waitPollMin
	if events {
		interval = waitPollMax
	}
	for {
		id, err := m.findRoute(ctx, uri, &useMatch)
		switch {
		case ctx.Err() != nil:
			return 0, fmt.Errorf("metaclient: wait for %s: %w", uri, ctx.Err())
		case err != nil:
			return 0, wrap("wait for "+uri, err) // err is Match's or Lookup's
		case id != 0:
			return id, nil
		}
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return 0, fmt.Errorf("metaclient: wait for %s: %w", uri, ctx.Err())
		case <-wake:
			timer.Stop()
		case <-timer.C:
			if !events {
				interval = min(2*interval, waitPollMax)
			}
		}
	}
}

// findRoute returns the registration a call of uri would reach, 0 when
// none. *useMatch turns false for good once the router says it has no
// wamp.registration.match.
func (m *Client) findRoute(ctx context.Context, uri string, useMatch *bool) (client.ID, error) {
	if *useMatch {
		ids, err := m.Match(ctx, uri)
		if err == nil {
			if len(ids) == 0 {
				return 0, nil
			}
			return ids[0], nil
		}
		if !errors.Is(err, client.ErrNoSuchProcedure) {
			return 0, err
		}
		*useMatch = false
	}
	id, _, err := m.Lookup(ctx, uri, Exact)
	return id, err
}
