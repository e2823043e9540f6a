//go:build !amd64 || purego

package psi

const vecBatch = 64

func haveLadder8() bool { return false }

func ladderMasks(*[32]byte) *[256]uint64 { panic("psi: no 8-way ladder on this platform") }

func x25519xN(*[256]uint64, [][32]byte, [][32]byte) error {
	panic("psi: no 8-way ladder on this platform")
}

func hashX25519xN(*[256]uint64, [][32]byte, [][32]byte) error {
	panic("psi: no 8-way ladder on this platform")
}
