//go:build interop

package interop

import "testing"

func runMetaCell(t *testing.T, m *matrix, c cell, rt testRouter) {
	t.Skip("metaclient not yet available")
}
