//go:build ignore

// gen_x25519_amd64.go writes x25519_amd64.s, the 8-way X25519 Montgomery
// ladder over AVX-512 IFMA: go run gen_x25519_amd64.go > x25519_amd64.s
//
// A field element of 8 lanes (fe8) is 5 limbs of 51 bits, limb k of the 8
// lanes in one 64-byte vector: 320 bytes. Values stored in an fe8 always
// have limbs below 2^51 + 2^16 (see carry), so any of them may feed
// VPMADD52[LH]UQ, which reads the low 52 bits of its inputs.
package main

import (
	"fmt"
	"os"
	"strings"
)

var b strings.Builder

func p(format string, a ...any) { fmt.Fprintf(&b, "\t"+format+"\n", a...) }

const fe = 320 // bytes per fe8

// ladder state slots (fe8 indices); see x25519_vec.go.
const (
	sX1 = iota
	sX2
	sZ2
	sX3
	sZ3
	sA
	sB
	sC
	sD
	sAA
	sBB
	sE
	sDA
	sCB
	sT
	sA24
	s4P
	nSlots
)

func off(slot, limb int) int { return slot*fe + limb*64 }

// Registers: Z31 mask 2^51-1, Z30 broadcast 19, Z29 swap mask.
func z(i int) string { return fmt.Sprintf("Z%d", i) }

// carry normalises r (limbs below 2^62) in one parallel round: every
// limb gives its bits from 51 up to the next (limb 4's, times 19, to limb
// 0) at once, so the round is 3 instructions deep instead of a chain of
// 15. Out: limbs below 2^51 + 2^11, limb 0 below 2^51 + 19·2^11: all
// below 2^52, as the multiply-adds need. t are 5 free registers.
func carry(r, t [5]int) {
	for k := 0; k < 5; k++ {
		p("VPSRLQ $51, %s, %s", z(r[k]), z(t[k]))
		p("VPANDQ Z31, %s, %s", z(r[k]), z(r[k]))
	}
	p("VPMULLQ Z30, %s, %s", z(t[4]), z(t[4]))
	for k := 0; k < 5; k++ {
		p("VPADDQ %s, %s, %s", z(t[(k+4)%5]), z(r[k]), z(r[k]))
	}
}

func load(base string, slot int) {
	for k := 0; k < 5; k++ {
		p("VMOVDQU64 %d(%s), Z%d", off(slot, k), base, k)
	}
}

func store(base string, slot int, r [5]int) {
	for k := 0; k < 5; k++ {
		p("VMOVDQU64 %s, %d(%s)", z(r[k]), off(slot, k), base)
	}
}

// mul sets out = a·b. a is loaded into Z0..Z4 first, b is read from
// memory, out is written last: out may alias a or b.
func mul(base string, out, a, bs int) {
	mulBases(base, out, base, a, base, bs)
}

func mulBases(ob string, out int, ab string, a int, bb string, bs int) {
	load(ab, a)
	// L0..L8 in Z5..Z13, H1..H9 in Z14..Z22.
	for r := 5; r <= 22; r++ {
		p("VPXORQ %s, %s, %s", z(r), z(r), z(r))
	}
	// b in Z24..Z28: five loads instead of fifty memory operands.
	for j := 0; j < 5; j++ {
		p("VMOVDQU64 %d(%s), Z%d", off(bs, j), bb, 24+j)
	}
	for j := 0; j < 5; j++ {
		for i := 0; i < 5; i++ {
			p("VPMADD52LUQ Z%d, Z%d, %s", 24+j, i, z(5+i+j))
			p("VPMADD52HUQ Z%d, Z%d, %s", 24+j, i, z(13+i+j+1))
		}
	}
	reduce(ob, out)
}

// sqr sets out = a²: the 10 cross products once, doubled, then the 5
// squares (30 multiply-adds instead of 50).
func sqr(base string, out, a int) { sqrBases(base, out, base, a) }

func sqrBases(ob string, out int, ab string, a int) {
	load(ab, a)
	for r := 5; r <= 22; r++ {
		p("VPXORQ %s, %s, %s", z(r), z(r), z(r))
	}
	for i := 0; i < 5; i++ {
		for j := i + 1; j < 5; j++ {
			p("VPMADD52LUQ Z%d, Z%d, %s", j, i, z(5+i+j))
			p("VPMADD52HUQ Z%d, Z%d, %s", j, i, z(13+i+j+1))
		}
	}
	for k := 1; k <= 7; k++ { // L1..L7
		p("VPADDQ %s, %s, %s", z(5+k), z(5+k), z(5+k))
	}
	for k := 2; k <= 8; k++ { // H2..H8
		p("VPADDQ %s, %s, %s", z(13+k), z(13+k), z(13+k))
	}
	for i := 0; i < 5; i++ {
		p("VPMADD52LUQ Z%d, Z%d, %s", i, i, z(5+2*i))
		p("VPMADD52HUQ Z%d, Z%d, %s", i, i, z(13+2*i+1))
	}
	reduce(ob, out)
}

// reduce folds the columns L0..L8 (Z5..Z13) and H1..H9 (Z14..Z22), each
// below 2^57, into out.
func reduce(ob string, out int) {
	// column k = L_k + 2·H_k
	for k := 1; k <= 8; k++ {
		p("VPSLLQ $1, %s, %s", z(13+k), z(13+k))
		p("VPADDQ %s, %s, %s", z(13+k), z(5+k), z(5+k))
	}
	p("VPSLLQ $1, Z22, Z22")
	cols := [10]int{5, 6, 7, 8, 9, 10, 11, 12, 13, 22}
	for k := 0; k < 5; k++ {
		p("VPMULLQ Z30, %s, %s", z(cols[k+5]), z(cols[k+5]))
		p("VPADDQ %s, %s, %s", z(cols[k+5]), z(cols[k]), z(cols[k]))
	}
	r := [5]int{5, 6, 7, 8, 9}
	carry(r, [5]int{10, 11, 12, 13, 14})
	store(ob, out, r)
}

func add(base string, out, a, bs int) { addBases(base, out, base, a, base, bs) }

func addBases(ob string, out int, ab string, a int, bb string, bs int) {
	load(ab, a)
	for k := 0; k < 5; k++ {
		p("VPADDQ %d(%s), Z%d, Z%d", off(bs, k), bb, k, k)
	}
	carry([5]int{0, 1, 2, 3, 4}, [5]int{5, 6, 7, 8, 9})
	store(ob, out, [5]int{0, 1, 2, 3, 4})
}

// sub sets out = a + 4p - b.
func sub(base string, out, a, bs int) { subBases(base, out, base, a, base, bs, base, s4P) }

func subBases(ob string, out int, ab string, a int, bb string, bs int, pb string, ps int) {
	load(ab, a)
	for k := 0; k < 5; k++ {
		p("VPADDQ %d(%s), Z%d, Z%d", off(ps, k), pb, k, k)
		p("VPSUBQ %d(%s), Z%d, Z%d", off(bs, k), bb, k, k)
	}
	carry([5]int{0, 1, 2, 3, 4}, [5]int{5, 6, 7, 8, 9})
	store(ob, out, [5]int{0, 1, 2, 3, 4})
}

// cswap swaps slots x and y where Z29 is all ones.
func cswap(base string, x, y int) {
	for k := 0; k < 5; k++ {
		p("VMOVDQU64 %d(%s), Z0", off(x, k), base)
		p("VMOVDQU64 %d(%s), Z1", off(y, k), base)
		p("VPXORQ Z0, Z1, Z2")
		p("VPANDQ Z29, Z2, Z2")
		p("VPXORQ Z2, Z0, Z0")
		p("VPXORQ Z2, Z1, Z1")
		p("VMOVDQU64 Z0, %d(%s)", off(x, k), base)
		p("VMOVDQU64 Z1, %d(%s)", off(y, k), base)
	}
}

func consts() {
	p("MOVQ $0x7ffffffffffff, AX")
	p("VPBROADCASTQ AX, Z31")
	p("MOVQ $19, AX")
	p("VPBROADCASTQ AX, Z30")
}

func main() {
	fmt.Fprintf(&b, "// Code generated by gen_x25519_amd64.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n")

	// func ladder8(st *ladder8State, masks *[256]uint64)
	fmt.Fprintf(&b, "// func ladder8(st *ladder8State, masks *[256]uint64)\nTEXT ·ladder8(SB), NOSPLIT, $0-16\n")
	p("MOVQ st+0(FP), DI")
	p("MOVQ masks+8(FP), SI")
	consts()
	p("XORQ CX, CX")
	fmt.Fprintf(&b, "loop:\n")
	p("VPBROADCASTQ (SI)(CX*8), Z29")
	cswap("DI", sX2, sX3)
	cswap("DI", sZ2, sZ3)
	const d = "DI"
	add(d, sA, sX2, sZ2)
	sub(d, sB, sX2, sZ2)
	add(d, sC, sX3, sZ3)
	sub(d, sD, sX3, sZ3)
	sqr(d, sAA, sA)
	sqr(d, sBB, sB)
	mul(d, sDA, sD, sA)
	mul(d, sCB, sC, sB)
	sub(d, sE, sAA, sBB)
	add(d, sX3, sDA, sCB)
	sqr(d, sX3, sX3)
	sub(d, sZ3, sDA, sCB)
	sqr(d, sZ3, sZ3)
	mul(d, sZ3, sZ3, sX1)
	mul(d, sX2, sAA, sBB)
	mul(d, sT, sE, sA24)
	add(d, sT, sAA, sT)
	mul(d, sZ2, sE, sT)
	p("INCQ CX")
	p("CMPQ CX, $255")
	p("JLT loop")
	p("VPBROADCASTQ (SI)(CX*8), Z29")
	cswap("DI", sX2, sX3)
	cswap("DI", sZ2, sZ3)
	p("VZEROUPPER")
	p("RET")

	// func fe8Mul(out, a, b *fe8)
	fmt.Fprintf(&b, "\n// func fe8Mul(out, a, b *fe8)\nTEXT ·fe8Mul(SB), NOSPLIT, $0-24\n")
	p("MOVQ out+0(FP), DI")
	p("MOVQ a+8(FP), SI")
	p("MOVQ b+16(FP), DX")
	consts()
	mulBases("DI", 0, "SI", 0, "DX", 0)
	p("VZEROUPPER")
	p("RET")

	// func fe8Add(out, a, b *fe8)
	fmt.Fprintf(&b, "\n// func fe8Add(out, a, b *fe8)\nTEXT ·fe8Add(SB), NOSPLIT, $0-24\n")
	p("MOVQ out+0(FP), DI")
	p("MOVQ a+8(FP), SI")
	p("MOVQ b+16(FP), DX")
	consts()
	addBases("DI", 0, "SI", 0, "DX", 0)
	p("VZEROUPPER")
	p("RET")

	// func fe8Sub(out, a, b, p4 *fe8): out = a + p4 - b, p4 being 4p
	fmt.Fprintf(&b, "\n// func fe8Sub(out, a, b, p4 *fe8)\nTEXT ·fe8Sub(SB), NOSPLIT, $0-32\n")
	p("MOVQ out+0(FP), DI")
	p("MOVQ a+8(FP), SI")
	p("MOVQ b+16(FP), DX")
	p("MOVQ p4+24(FP), BX")
	consts()
	subBases("DI", 0, "SI", 0, "DX", 0, "BX", 0)
	p("VZEROUPPER")
	p("RET")

	// func fe8SqrN(out, a *fe8, n int): out = a^(2^n), n ≥ 1
	fmt.Fprintf(&b, "\n// func fe8SqrN(out, a *fe8, n int)\nTEXT ·fe8SqrN(SB), NOSPLIT, $0-24\n")
	p("MOVQ out+0(FP), DI")
	p("MOVQ a+8(FP), SI")
	p("MOVQ n+16(FP), CX")
	consts()
	sqrBases("DI", 0, "SI", 0)
	p("DECQ CX")
	p("JZ sqrdone")
	fmt.Fprintf(&b, "sqrloop:\n")
	sqrBases("DI", 0, "DI", 0)
	p("DECQ CX")
	p("JNZ sqrloop")
	fmt.Fprintf(&b, "sqrdone:\n")
	p("VZEROUPPER")
	p("RET")

	os.Stdout.WriteString(b.String())
}
