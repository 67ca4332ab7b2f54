package client

import "time"

// setMaxSubHold shortens maxSubHold for a test and returns the restore.
func setMaxSubHold(d time.Duration) (restore func()) {
	old := maxSubHold
	maxSubHold = d
	return func() { maxSubHold = old }
}

// ReadLoopSendWait is how long the read loop waits for the router to take
// a reply it sends itself (readLoopSendWait).
const ReadLoopSendWait = readLoopSendWait
