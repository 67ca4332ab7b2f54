package callee_test

import (
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// call makes a raw call and waits for its final result.
func call(t *testing.T, c *client.Client, procedure string, args []any, kwargs map[string]any) (client.Result, error) {
	t.Helper()
	return c.Call(wamptest.Context(t), client.CallRequest{
		Procedure: procedure, Payload: client.Payload{Args: args, Kwargs: kwargs},
	}, nil)
}

// mustCall calls and fails the test on error.
func mustCall(t *testing.T, c *client.Client, procedure string, args ...any) client.Result {
	t.Helper()
	res, err := call(t, c, procedure, args, nil)
	if err != nil {
		t.Fatalf("call %s: %v", procedure, err)
	}
	return res
}

// remoteError asserts that err is a remote *client.Error with the given URI
// and returns it.
func remoteError(t *testing.T, err error, uri string) *client.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", uri)
	}
	if got := client.URIOf(err); got != uri {
		t.Fatalf("error %v: URI %q, want %q", err, got, uri)
	}
	var ce *client.Error
	errors.As(err, &ce)
	return ce
}
