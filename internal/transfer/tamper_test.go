package transfer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// record is one record of a stream, for surgery.
type record struct {
	typ  byte
	body []byte
}

func splitStream(t *testing.T, s []byte) []record {
	t.Helper()
	if string(s[:4]) != magic {
		t.Fatal("no magic")
	}
	var recs []record
	for rest := s[preludeSize:]; len(rest) > 0; {
		n := binary.BigEndian.Uint32(rest[1:])
		recs = append(recs, record{rest[0], bytes.Clone(rest[5 : 5+n])})
		rest = rest[5+n:]
	}
	return recs
}

func joinStream(recs []record) []byte {
	out := append([]byte(magic), Version)
	for _, r := range recs {
		out = append(out, r.typ)
		out = binary.BigEndian.AppendUint32(out, uint32(len(r.body)))
		out = append(out, r.body...)
	}
	return out
}

// wantChunkErr checks that err is a *ChunkError for index wrapping sentinel.
func wantChunkErr(t *testing.T, err error, index uint64, sentinel error) {
	t.Helper()
	var ce *ChunkError
	if !errors.As(err, &ce) || ce.Index != index || !errors.Is(err, sentinel) {
		t.Fatalf("got error %v, want a chunk %d error wrapping %q", err, index, sentinel)
	}
	if want := fmt.Sprintf("chunk %d", index); !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %q does not name %s", err, want)
	}
}

func TestTampering(t *testing.T) {
	const cs = 64
	for _, s := range suite.Suites() {
		t.Run(s.Name(), func(t *testing.T) {
			p := newParty(t, s, "urn:uuid:transfer-1")
			pt := randomBytes(4*cs+10, 1) // chunks 0..3 full, chunk 4 final of 10 bytes
			for _, declare := range []bool{false, true} {
				stream := p.seal(t, pt, cs, declare)
				recs := splitStream(t, stream)
				if len(recs) != 7 || recs[0].typ != recHeader || recs[5].typ != recFinal || recs[6].typ != recTrailer {
					t.Fatalf("unexpected records %v", len(recs))
				}
				// open returns the plaintext released before the error.
				open := func(recs []record) ([]byte, error) {
					got, _, err := p.open(joinStream(recs))
					return got, err
				}
				clone := func() []record {
					c := make([]record, len(recs))
					for i, r := range recs {
						c[i] = record{r.typ, bytes.Clone(r.body)}
					}
					return c
				}
				name := fmt.Sprintf("declared=%v", declare)

				// Flip a byte anywhere in any chunk: refused at that chunk, with
				// exactly the chunks before it released.
				for ci := 0; ci < 5; ci++ {
					for _, off := range []int{0, 17, len(recs[1+ci].body) - 1} {
						c := clone()
						c[1+ci].body[off] ^= 0x40
						got, err := open(c)
						wantChunkErr(t, err, uint64(ci), ErrChunkAuth)
						if !bytes.Equal(got, pt[:ci*cs]) {
							t.Fatalf("%s: flip in chunk %d released %d bytes, want %d", name, ci, len(got), ci*cs)
						}
					}
				}
				t.Run(name+"/swap", func(t *testing.T) {
					c := clone()
					c[2], c[3] = c[3], c[2]
					_, err := open(c)
					wantChunkErr(t, err, 1, ErrChunkAuth)
				})
				t.Run(name+"/drop", func(t *testing.T) {
					c := clone()
					c = append(c[:3], c[4:]...)
					_, err := open(c)
					wantChunkErr(t, err, 2, ErrChunkAuth)
				})
				t.Run(name+"/duplicate", func(t *testing.T) {
					c := clone()
					c = append(c[:3], append([]record{c[2]}, c[3:]...)...)
					_, err := open(c)
					wantChunkErr(t, err, 2, ErrChunkAuth)
				})
				t.Run(name+"/drop-final", func(t *testing.T) {
					c := clone()
					c = append(c[:5], c[6])
					_, err := open(c)
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("got %v", err)
					}
				})
				t.Run(name+"/mark-final-early", func(t *testing.T) {
					c := clone()
					c[2].typ = recFinal
					_, err := open(c)
					if declare {
						wantChunkErr(t, err, 1, ErrMalformed)
					} else {
						wantChunkErr(t, err, 1, ErrChunkAuth)
					}
				})
				t.Run(name+"/unmark-final", func(t *testing.T) {
					c := clone()
					c[5].typ = recChunk
					_, err := open(c)
					wantChunkErr(t, err, 4, ErrMalformed) // 26 bytes is not a full chunk
				})
				t.Run(name+"/truncate", func(t *testing.T) {
					full := joinStream(recs)
					for _, n := range []int{0, 3, preludeSize + 2, preludeSize + 5 + len(recs[0].body) - 1,
						preludeSize + 5 + len(recs[0].body) + 2 /* inside chunk 0's record header */, len(full) - 100,
						len(full) - trailerBodySize - 5 /* before the trailer */, len(full) - 1} {
						_, _, err := p.open(full[:n])
						if !errors.Is(err, ErrTruncated) || !Resumable(err) {
							t.Fatalf("truncated at %d/%d: got %v", n, len(full), err)
						}
					}
				})
				t.Run(name+"/data-after-trailer", func(t *testing.T) {
					_, _, err := p.open(append(joinStream(recs), 0))
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("got %v", err)
					}
				})
				t.Run(name+"/trailer-signature", func(t *testing.T) {
					c := clone()
					c[6].body[trailerBodySize-1] ^= 1
					_, err := open(c)
					if !errors.Is(err, ErrTrailerSignature) {
						t.Fatalf("got %v", err)
					}
				})
				t.Run(name+"/trailer-digest", func(t *testing.T) {
					c := clone()
					c[6].body[20] ^= 1
					_, err := open(c)
					if !errors.Is(err, ErrDigest) {
						t.Fatalf("got %v", err)
					}
				})
				t.Run(name+"/trailer-count", func(t *testing.T) {
					c := clone()
					c[6].body[7]++
					_, err := open(c)
					if !errors.Is(err, ErrDigest) {
						t.Fatalf("got %v", err)
					}
				})
				t.Run(name+"/header-salt", func(t *testing.T) {
					c := clone()
					c[0].body[30] ^= 1
					_, err := open(c)
					if !errors.Is(err, ErrHeaderSignature) {
						t.Fatalf("got %v", err)
					}
				})
			}

			t.Run("replay-from-another-transfer", func(t *testing.T) {
				other := newParty(t, s, "urn:uuid:transfer-2")
				o := splitStream(t, other.seal(t, randomBytes(4*cs+10, 2), cs, false))
				c := splitStream(t, p.seal(t, pt, cs, false))
				c[3] = o[3]
				_, err := p.openRecs(c)
				wantChunkErr(t, err, 2, ErrChunkAuth)
			})
			t.Run("replay-from-another-stream-of-this-transfer", func(t *testing.T) {
				a := splitStream(t, p.seal(t, pt, cs, false))
				b := splitStream(t, p.seal(t, pt, cs, false))
				a[3] = b[3] // same plaintext, same key, other stream salt
				_, err := p.openRecs(a)
				wantChunkErr(t, err, 2, ErrChunkAuth)
			})
			t.Run("wrong-consumer-key", func(t *testing.T) {
				stream := p.seal(t, pt, cs, false)
				other, _ := NewConsumerKey(s, nil)
				cfg := p.readerConfig()
				cfg.Key = other
				r, _ := NewReader(bytes.NewReader(stream), cfg)
				_, err := io.ReadAll(r)
				if !errors.Is(err, ErrMismatch) {
					t.Fatalf("got %v", err)
				}
			})
			t.Run("wrong-transfer-key", func(t *testing.T) {
				// A provider that derived its key for another agreement but
				// claims this one in the header: the header signature holds,
				// the chunks do not.
				b := p.b
				b.AgreementID = "urn:uuid:agreement-other"
				k, err := NewKey(b, p.consumer.PublicBytes(), nil)
				if err != nil {
					t.Fatal(err)
				}
				k.b = p.b
				q := &party{b: p.b, consumer: p.consumer, key: k, signer: p.signer}
				_, err = p.openRecs(splitStream(t, q.seal(t, pt, cs, false)))
				wantChunkErr(t, err, 0, ErrChunkAuth)
			})
			t.Run("wrong-provider-key", func(t *testing.T) {
				stream := p.seal(t, pt, cs, false)
				cfg := p.readerConfig()
				other, err := suite.Generate(s.SigAlgs()[0], nil)
				if err != nil {
					t.Fatal(err)
				}
				cfg.ProviderKey = other.Public()
				r, _ := NewReader(bytes.NewReader(stream), cfg)
				_, err = io.ReadAll(r)
				if !errors.Is(err, ErrHeaderSignature) {
					t.Fatalf("got %v", err)
				}
			})
			t.Run("other-binding", func(t *testing.T) {
				stream := p.seal(t, pt, cs, false)
				for _, mut := range []func(*Binding){
					func(b *Binding) { b.TransferID = "urn:uuid:transfer-9" },
					func(b *Binding) { b.AgreementID = "urn:uuid:agreement-9" },
					func(b *Binding) { b.ProviderDID = "did:web:evil.example" },
					func(b *Binding) { b.ConsumerDID = "did:web:evil.example" },
				} {
					cfg := p.readerConfig()
					mut(&cfg.Binding)
					r, _ := NewReader(bytes.NewReader(stream), cfg)
					_, err := io.ReadAll(r)
					if !errors.Is(err, ErrMismatch) {
						t.Fatalf("got %v", err)
					}
				}
			})
			t.Run("bad-prelude", func(t *testing.T) {
				stream := p.seal(t, pt, cs, false)
				for _, i := range []int{0, 4} {
					c := bytes.Clone(stream)
					c[i] ^= 0xff
					if _, _, err := p.open(c); !errors.Is(err, ErrMalformed) {
						t.Fatalf("byte %d: got %v", i, err)
					}
				}
			})
		})
	}
}

func (p *party) openRecs(recs []record) ([]byte, error) {
	got, _, err := p.open(joinStream(recs))
	return got, err
}
