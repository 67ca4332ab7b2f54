package metaclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// A registry never outlives its client: closing the client (without
// closing the registry) ends the registry's goroutines and closes Changes,
// so a loop over Changes ends; Close afterwards is harmless.
func TestRegistryEndsWithItsClient(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	before := goleak.IgnoreCurrent()
	c, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	reg, err := metaclient.New(c).Watch(ctx)
	require.NoError(t, err)
	ranged := make(chan struct{})
	go func() {
		defer close(ranged)
		for range reg.Changes() { // notifications not read by the end are discarded
		}
	}()
	require.NoError(t, c.Close(ctx))
	select {
	case <-ranged:
	case <-time.After(10 * time.Second):
		t.Fatal("Changes still open after the client closed")
	}
	require.NoError(t, goleak.Find(before), "the registry's goroutines ended with the client")
	assert.NoError(t, reg.Close(context.Background()))
}
