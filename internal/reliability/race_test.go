//go:build race

package reliability_test

// Under the race detector everything runs several times slower: the floods
// are smaller (still several times every bound), and the figures are not
// the ones to quote.
const raceEnabled = true
