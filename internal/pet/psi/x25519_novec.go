//go:build !amd64 || purego

package psi

func haveLadder8() bool { return false }

func ladderMasks(*[32]byte) *[256]uint64 { panic("psi: no 8-way ladder on this platform") }

func x25519x8(*[256]uint64, [][32]byte, [][32]byte) {
	panic("psi: no 8-way ladder on this platform")
}

func hashX25519x8(*[256]uint64, [][32]byte, [][32]byte) {
	panic("psi: no 8-way ladder on this platform")
}
