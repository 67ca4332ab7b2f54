package metaclient_test

import (
	"testing"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/metaclient"
)

// TestOnePolicyType: the policy a registration reports is the one callee
// registers with, with no conversion (both are client.Policy).
func TestOnePolicyType(t *testing.T) {
	var reported metaclient.Policy = callee.RoundRobin
	var registered callee.Policy = reported
	var shared client.Policy = registered
	if shared != metaclient.RoundRobin || !shared.Valid() || client.Policy("sometimes").Valid() {
		t.Fatalf("policy %q", shared)
	}
}
