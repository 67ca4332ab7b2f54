package client

import (
	"math/rand/v2"
	"testing"
)

// TestPlainURIAgreesWithTheFullCheck: the ASCII fast path of ValidateURI
// accepts only what the full check accepts, takes the common URIs, and
// leaves every refusal (with its reason) to the full check.
func TestPlainURIAgreesWithTheFullCheck(t *testing.T) {
	for _, uri := range []string{"com.example.add", "wamp.session.get", "a", "a.b_c.d9", "com.Example-1.x"} {
		if !plainURI(uri, false) {
			t.Errorf("plainURI(%q, loose) = false; the fast path misses a common URI", uri)
		}
	}
	if plainURI("com.Example.x", true) {
		t.Error(`plainURI("com.Example.x", strict) = true; strict URIs allow only [0-9a-z_]`)
	}
	for b := range 256 { // every byte, alone and inside a component
		for _, uri := range []string{string(rune(b)), "a" + string([]byte{byte(b)}) + ".b", "a." + string([]byte{byte(b)})} {
			for _, strict := range []bool{false, true} {
				if plainURI(uri, strict) && checkURI(uri, "", strict) != nil {
					t.Fatalf("plainURI(%q, strict=%v) = true; the full check refuses it", uri, strict)
				}
			}
		}
	}
	alphabet := []rune{'a', 'z', '0', '_', '.', '.', '#', ' ', '\t', '\n', '\r', '\v', '\f', 'A', '-', '\x01', '\x7f', 'é', '\u00a0', '\u2028'}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		r := make([]rune, rng.IntN(9))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		uri := string(r)
		for _, strict := range []bool{false, true} {
			for _, match := range []Match{"", MatchExact} {
				got, want := ValidateURI(uri, match, strict), checkURI(uri, match, strict)
				if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
					t.Fatalf("ValidateURI(%q, %q, strict=%v) = %v; the full check says %v", uri, match, strict, got, want)
				}
			}
			if plainURI(uri, strict) && checkURI(uri, "", strict) != nil {
				t.Fatalf("plainURI(%q, strict=%v) = true; the full check refuses it", uri, strict)
			}
		}
	}
}

// BenchmarkValidateURI: the check every call and publication runs.
func BenchmarkValidateURI(b *testing.B) {
	for _, bc := range []struct {
		name string
		run  func(string, Match, bool) error
	}{{"ValidateURI", ValidateURI}, {"full", checkURI}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.run("com.example.bench.struct", "", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
