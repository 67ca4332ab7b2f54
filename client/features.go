package client

import (
	"fmt"
)

// Router features wampkit checks before it sends a request that needs one.
const (
	FeaturePatternBasedRegistration = "pattern_based_registration"
	FeatureSharedRegistration       = "shared_registration"
	FeatureCallerIdentification     = "caller_identification"
	FeatureCallTimeout              = "call_timeout"
	FeatureCallCanceling            = "call_canceling"
	FeatureProgressiveCallResults   = "progressive_call_results"
	FeatureProgressiveInvocations   = "progressive_call_invocations"
	FeatureRegistrationRevocation   = "registration_revocation"
	FeaturePatternBasedSubscription = "pattern_based_subscription"
)

// FeatureError: a request needs a router feature the router's WELCOME did
// not announce, so it failed before anything was sent. It names the feature
// and what in the request needs it. errors.Is(err, ErrFeatureNotSupported)
// matches it, as it matches the router's own
// wamp.error.feature_not_supported answer (an *Error); IsRemote tells them
// apart.
type FeatureError struct {
	Role    string // "dealer" or "broker"
	Feature string // e.g. "pattern_based_registration"
	Need    string // what needs it, e.g. `match "prefix"`
}

func (e *FeatureError) Error() string {
	return fmt.Sprintf("%s needs the router's %s feature %s, which its WELCOME does not announce (nothing was sent; client.WithRouterFeatures assumes it)",
		e.Need, e.Role, e.Feature)
}

// Is matches ErrFeatureNotSupported.
func (e *FeatureError) Is(target error) bool { return target == ErrFeatureNotSupported }

// RouterFeatures returns what the router of the current session announced
// (the last session's while reconnecting; nothing before the first join).
func (c *Client) RouterFeatures() Features {
	if c == nil {
		return Features{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return Features{}
	}
	return c.sess.Features()
}

// WithRouterFeatures makes the client take features as announced by the
// router though its WELCOME does not list them, for a router known to
// support them silently. Without it, a request that needs a feature the
// router does not announce fails with ErrFeatureNotSupported before
// anything is sent. See the package doc for what each router announces.
func WithRouterFeatures(features ...string) Option {
	return optionFunc(func(c *config) error {
		for _, f := range features {
			if f == "" {
				return fmt.Errorf("%w: empty router feature name", ErrInvalidOption)
			}
		}
		c.assumeFeatures = append(c.assumeFeatures[:len(c.assumeFeatures):len(c.assumeFeatures)], features...)
		return nil
	})
}

// need checks that the dealer announced feature.
func needDealer(f Features, feature, need string) error {
	if f.Dealer(feature) {
		return nil
	}
	return &FeatureError{Role: "dealer", Feature: feature, Need: need}
}

// registerNeeds checks resolved REGISTER options against the router's
// features: match prefix or wildcard needs pattern_based_registration, an
// invoke policy other than single shared_registration, disclose_caller
// caller_identification, forward_timeout call_timeout.
func registerNeeds(f Features, o RegisterOptions) error {
	if o.Match != "" && o.Match != MatchExact {
		if err := needDealer(f, FeaturePatternBasedRegistration, fmt.Sprintf("match %q", o.Match)); err != nil {
			return err
		}
	}
	if o.Invoke != "" && o.Invoke != InvokeSingle {
		if err := needDealer(f, FeatureSharedRegistration, fmt.Sprintf("invoke %q", o.Invoke)); err != nil {
			return err
		}
	}
	if o.DiscloseCaller {
		if err := needDealer(f, FeatureCallerIdentification, "disclose_caller"); err != nil {
			return err
		}
	}
	if o.ForwardTimeout {
		if err := needDealer(f, FeatureCallTimeout, "forward_timeout"); err != nil {
			return err
		}
	}
	return nil
}

// callNeeds checks a call against the router's features (a timeout is
// checked by config.callTimeout, as Crossbar reads it unannounced). It allocates
// nothing unless it fails: it runs on every call.
func callNeeds(f Features, req *CallRequest) error {
	switch {
	case req.ReceiveProgress && !f.Dealer(FeatureProgressiveCallResults):
		return needDealer(f, FeatureProgressiveCallResults, "receive_progress (progressive results)")
	case req.Stream && !f.Dealer(FeatureProgressiveInvocations):
		return needDealer(f, FeatureProgressiveInvocations, "a streamed call (progressive invocation)")
	case req.DiscloseMe && !f.Dealer(FeatureCallerIdentification):
		return needDealer(f, FeatureCallerIdentification, "disclose_me")
	case req.CancelMode != "" && !f.Dealer(FeatureCallCanceling):
		return needDealer(f, FeatureCallCanceling, fmt.Sprintf("cancel mode %q", req.CancelMode))
	}
	return nil
}

// subscribeNeeds checks SUBSCRIBE options: match prefix or wildcard needs
// the broker's pattern_based_subscription.
func subscribeNeeds(f Features, o SubscribeOptions) error {
	if o.Match != "" && o.Match != MatchExact && !f.Broker(FeaturePatternBasedSubscription) {
		return &FeatureError{Role: "broker", Feature: FeaturePatternBasedSubscription, Need: fmt.Sprintf("match %q", o.Match)}
	}
	return nil
}
