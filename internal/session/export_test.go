package session

import "time"

// SetMaxSubHold shortens maxSubHold for a test and returns the restore.
func SetMaxSubHold(d time.Duration) (restore func()) {
	old := maxSubHold
	maxSubHold = d
	return func() { maxSubHold = old }
}
