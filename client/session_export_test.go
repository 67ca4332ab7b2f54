package client

import "time"

// setMaxSubHold shortens maxSubHold for a test and returns the restore.
func setMaxSubHold(d time.Duration) (restore func()) {
	old := maxSubHold
	maxSubHold = d
	return func() { maxSubHold = old }
}
