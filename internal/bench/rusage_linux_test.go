package bench

import "syscall"

// cpuUsage is the process's CPU time so far in µs (user and system, every
// thread: router, clients and relay alike) and its context switches
// (voluntary and not): a goroutine handing work to one that sleeps costs a
// thread's wakeup, and under load a switch.
func cpuUsage() (cpuMicros, switches int64, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, false
	}
	cpu := ru.Utime.Sec*1e6 + ru.Utime.Usec + ru.Stime.Sec*1e6 + ru.Stime.Usec
	return cpu, ru.Nvcsw + ru.Nivcsw, true
}
