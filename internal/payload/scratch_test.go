package payload_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/payload"
)

type scratchItem struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// TestScratchDecodesWithoutAllocatingTheTarget: a value decoded through
// Take and Release is what a decode into a local gives, the next Take
// is zero again (nothing of an earlier call shows through, by field or by
// shared slice), and the target itself costs no allocation.
func TestScratchDecodesWithoutAllocatingTheTarget(t *testing.T) {
	in := client.Payload{Args: []any{map[string]any{"name": "a", "tags": []any{"x", "y"}}}}
	dst := payload.Take[scratchItem]()
	require.NoError(t, payload.DecodeArgs(in, &dst.V))
	first := dst.Release()
	assert.Equal(t, scratchItem{Name: "a", Tags: []string{"x", "y"}}, first)
	assert.Equal(t, scratchItem{}, dst.V, "Release zeroes what it gives back")

	again := payload.Take[scratchItem]()
	assert.Equal(t, scratchItem{}, again.V)
	require.NoError(t, payload.DecodeArgs(client.Payload{Args: []any{map[string]any{"tags": []any{"z"}}}}, &again.V))
	second := again.Release()
	assert.Equal(t, scratchItem{Tags: []string{"z"}}, second)
	assert.Equal(t, []string{"x", "y"}, first.Tags, "an earlier value shares nothing with a later one")

	small := client.Payload{Args: []any{"x"}}
	var local string
	withLocal := testing.AllocsPerRun(100, func() { _ = payload.DecodeArgs(small, &local) })
	withScratch := testing.AllocsPerRun(100, func() {
		p := payload.Take[string]()
		_ = payload.DecodeArgs(small, &p.V)
		_ = p.Release()
	})
	assert.LessOrEqual(t, withScratch, withLocal)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				p := payload.Take[int]()
				if p.V != 0 {
					t.Errorf("a scratch int was %d, not zero", p.V)
				}
				p.V = i + 1
				_ = p.Release()
			}
		})
	}
	wg.Wait()
}
