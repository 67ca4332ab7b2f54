package client

import (
	"slices"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// Features is what a router announced in its WELCOME: the roles it plays
// (dealer, broker) and, for each, the features it announced
// (roles.<role>.features.<name> = true), plus any the application told the
// client to assume (client.WithRouterFeatures). The zero value announces
// nothing. Read-only, safe for concurrent use.
type Features struct {
	roles   map[string]map[string]bool
	assumed []string
	agent   string
}

// parseFeatures reads WELCOME.Details. Anything but a dictionary where one
// is expected, or anything but true as a feature's value, announces nothing.
func parseFeatures(details wamp.Dict, assumed []string) Features {
	f := Features{roles: map[string]map[string]bool{}, assumed: assumed}
	f.agent, _ = details["agent"].(string)
	roles, _ := wire.AsDict(details["roles"])
	for role, v := range roles {
		feats := map[string]bool{}
		if rd, ok := wire.AsDict(v); ok {
			fd, _ := wire.AsDict(rd["features"])
			for name, on := range fd {
				if b, _ := on.(bool); b {
					feats[name] = true
				}
			}
		}
		f.roles[role] = feats
	}
	// A dealer that streams call input streams results too: xconn-go's nxt
	// (wampproto-go's RouterRoles) announces progressive_call_invocations
	// but not progressive_call_results, which its dealer implements
	// (dealer.go forwards receive_progress and progressive YIELDs).
	if d := f.roles["dealer"]; d["progressive_call_invocations"] {
		d["progressive_call_results"] = true
	}
	return f
}

// Has reports whether the router's dealer or broker announced feature (or
// it is assumed).
func (f Features) Has(feature string) bool {
	return f.Dealer(feature) || f.Broker(feature)
}

// Dealer reports whether the router's dealer role announced feature (or it
// is assumed).
func (f Features) Dealer(feature string) bool { return f.role("dealer", feature) }

// Broker reports whether the router's broker role announced feature (or it
// is assumed).
func (f Features) Broker(feature string) bool { return f.role("broker", feature) }

func (f Features) role(role, feature string) bool {
	return f.roles[role][feature] || slices.Contains(f.assumed, feature)
}

// HasRole reports whether the router announced role ("dealer", "broker").
func (f Features) HasRole(role string) bool {
	_, ok := f.roles[role]
	return ok
}

// Roles lists the roles the router announced, sorted.
func (f Features) Roles() []string {
	out := make([]string, 0, len(f.roles))
	for r := range f.roles {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Announced lists the features role announced, sorted (assumed ones not
// included).
func (f Features) Announced(role string) []string {
	out := make([]string, 0, len(f.roles[role]))
	for name := range f.roles[role] {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Agent is the router's WELCOME.Details.agent, when it sent one.
func (f Features) Agent() string { return f.agent }
