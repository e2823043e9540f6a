//go:build unix

package vc

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time this process has used, so that
// benchmarks can report throughput per CPU-second, which a busy machine does
// not distort the way it distorts wall time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
