package catalog

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Tokens. Text is normalised with NFKC (full-width Latin letters and digits
// become ASCII) and lower-cased. Runs of CJK characters (Han, kana, Hangul)
// give character bigrams, and single characters as well when indexing, so
// that a one-character query still matches; a few function characters
// (的 了 和 与 及 之 等 或) split runs. Other letters and digits form words;
// a handful of English stop words are left out. The index and the query use
// the same rules.

// maxWordRunes cuts long words (hashes, base64) to a bounded token.
const maxWordRunes = 40

func isCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	if r == 0x3005 || r == 0x30FC { // 々 and ー belong to the Common script
		return true
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

func isCJKStop(r rune) bool {
	switch r {
	case '的', '了', '和', '与', '及', '之', '等', '或':
		return true
	}
	return false
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isStopWord(w string) bool {
	switch w {
	case "a", "an", "the", "of", "and", "or", "for", "in", "on", "to", "with", "by", "from", "at", "as", "is":
		return true
	}
	return false
}

// token is one token with its kind.
type token struct {
	text string
	cjk  bool // a CJK unigram or bigram
}

// tokenizer splits text into tokens; its buffers are reused between calls,
// so one tokenizer serves one goroutine.
type tokenizer struct {
	word []byte
	run  []rune
	tok  []byte
}

// tokenize calls emit for every token of s; the token's bytes are valid
// only during the call. With unigrams, a CJK run of two or more characters
// also gives each character; without, only a run of one character does.
func (tz *tokenizer) tokenize(s string, unigrams bool, emit func(tok []byte, cjk bool)) {
	if !norm.NFKC.IsNormalString(s) {
		s = norm.NFKC.String(s)
	}
	wordRunes := 0
	flushWord := func() {
		if len(tz.word) > 0 {
			if !isStopWord(string(tz.word)) {
				emit(tz.word, false)
			}
			tz.word = tz.word[:0]
			wordRunes = 0
		}
	}
	flushRun := func() {
		run := tz.run
		switch {
		case len(run) == 1:
			tz.tok = utf8.AppendRune(tz.tok[:0], run[0])
			emit(tz.tok, true)
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				tz.tok = utf8.AppendRune(utf8.AppendRune(tz.tok[:0], run[i]), run[i+1])
				emit(tz.tok, true)
			}
			if unigrams {
				for _, r := range run {
					tz.tok = utf8.AppendRune(tz.tok[:0], r)
					emit(tz.tok, true)
				}
			}
		}
		tz.run = tz.run[:0]
	}
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			if len(tz.run) > 0 {
				flushRun()
			}
			if wordRunes < maxWordRunes {
				tz.word = append(tz.word, byte(r))
				wordRunes++
			}
		case r < 0x80 && r >= 'A' && r <= 'Z':
			if len(tz.run) > 0 {
				flushRun()
			}
			if wordRunes < maxWordRunes {
				tz.word = append(tz.word, byte(r+'a'-'A'))
				wordRunes++
			}
		case r < 0x80:
			flushWord()
			flushRun()
		case isCJK(r):
			flushWord()
			if isCJKStop(r) {
				flushRun()
				continue
			}
			tz.run = append(tz.run, r)
		case isWordRune(r):
			flushRun()
			if wordRunes < maxWordRunes {
				tz.word = utf8.AppendRune(tz.word, unicode.ToLower(r))
				wordRunes++
			}
		default:
			flushWord()
			flushRun()
		}
	}
	flushWord()
	flushRun()
}

// tokensOf returns the tokens of s, for tests and query parsing.
func tokensOf(s string, unigrams bool) []token {
	var out []token
	var tz tokenizer
	tz.tokenize(s, unigrams, func(b []byte, cjk bool) { out = append(out, token{string(b), cjk}) })
	return out
}

// runeLen is the number of characters of s.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
