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
// Scratch and Release is what a decode into a local gives, the next Scratch
// is zero again (nothing of an earlier call shows through, by field or by
// shared slice), and the target itself costs no allocation.
func TestScratchDecodesWithoutAllocatingTheTarget(t *testing.T) {
	in := client.Payload{Args: []any{map[string]any{"name": "a", "tags": []any{"x", "y"}}}}
	dst := payload.Scratch[scratchItem]()
	require.NoError(t, payload.DecodeArgs(in, dst))
	first := payload.Release(dst)
	assert.Equal(t, scratchItem{Name: "a", Tags: []string{"x", "y"}}, first)
	assert.Equal(t, scratchItem{}, *dst, "Release zeroes what it gives back")

	again := payload.Scratch[scratchItem]()
	assert.Equal(t, scratchItem{}, *again)
	require.NoError(t, payload.DecodeArgs(client.Payload{Args: []any{map[string]any{"tags": []any{"z"}}}}, again))
	second := payload.Release(again)
	assert.Equal(t, scratchItem{Tags: []string{"z"}}, second)
	assert.Equal(t, []string{"x", "y"}, first.Tags, "an earlier value shares nothing with a later one")

	small := client.Payload{Args: []any{"x"}}
	var local string
	withLocal := testing.AllocsPerRun(100, func() { _ = payload.DecodeArgs(small, &local) })
	withScratch := testing.AllocsPerRun(100, func() {
		p := payload.Scratch[string]()
		_ = payload.DecodeArgs(small, p)
		_ = payload.Release(p)
	})
	assert.LessOrEqual(t, withScratch, withLocal)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				p := payload.Scratch[int]()
				if *p != 0 {
					t.Errorf("a scratch int was %d, not zero", *p)
				}
				*p = i + 1
				_ = payload.Release(p)
			}
		})
	}
	wg.Wait()
}
