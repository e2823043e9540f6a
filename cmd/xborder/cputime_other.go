//go:build !unix

package main

import "time"

// processCPUTime is unknown here; benchmarks then report wall-time rates only.
func processCPUTime() time.Duration { return 0 }
