package demo

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/transfer"
)

// transfer: the Amsterdam centre pulls the data under the agreement; the
// step checks what arrived: whole (the provider's signed digest), and
// de-identified (no direct identifier of the source in it).
func (d *Demo) transfer(ctx context.Context, s *Step) error {
	start := time.Now()
	v, providerPID, err := d.pull(ctx)
	if err != nil {
		return err
	}
	took := time.Since(start)
	d.story.transferPID = providerPID
	got, err := os.ReadFile(v.Transfer.File)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(got)
	sha := hex.EncodeToString(sum[:])
	rb, err := os.ReadFile(v.Transfer.File + ".receipt.json")
	if err != nil {
		return fmt.Errorf("no receipt: %w", err)
	}
	var rc transfer.Receipt
	if err := json.Unmarshal(rb, &rc); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if rc.Size != int64(len(got)) || rc.AgreementID != d.story.agreement || rc.ProviderDID != d.cn.did {
		return fmt.Errorf("the receipt (%d bytes, agreement %s, provider %s) does not describe the file received (%d bytes)", rc.Size, rc.AgreementID, rc.ProviderDID, len(got))
	}
	if err := rc.Verify(d.cn.signer.Public()); err != nil {
		return fmt.Errorf("the provider's signature on the receipt: %w", err)
	}
	suiteDesc := text{"intl suite: X25519, AES-256-GCM, SHA-256 digest, Ed25519 signature", "intl 套件：X25519、AES-256-GCM、SHA-256 摘要、Ed25519 签名"}
	if rc.Suite == "gm" {
		suiteDesc = text{"gm suite: SM2 key agreement, SM4-GCM, SM3 digest, SM2 signature", "gm 套件：SM2 密钥协商、SM4-GCM、SM3 摘要、SM2 签名"}
	}
	s.say(d.opts.Lang, fmt.Sprintf("the NL centre pulled %s in %s, encrypted end to end (%s)", size(int64(len(got))), took.Round(time.Millisecond), suiteDesc.en),
		fmt.Sprintf("NL 研究中心拉取 %s，用时 %s，全程加密（%s）", size(int64(len(got))), took.Round(time.Millisecond), suiteDesc.zh))
	if v.Transfer.Digest != sha {
		return fmt.Errorf("the NL connector recorded sha256 %s, the file's is %s", v.Transfer.Digest, sha)
	}
	chunks := text{fmt.Sprintf("%d chunks", rc.Chunks), fmt.Sprintf("%d 个分块", rc.Chunks)}
	if rc.Chunks == 1 {
		chunks.en = "1 chunk"
	}
	s.say(d.opts.Lang, fmt.Sprintf("kept only once the provider's signed %s digest of the %s verified; sha256 %s", digestName(rc.Suite), chunks.en, sha),
		fmt.Sprintf("提供方对%s签名的 %s 摘要验证通过后才保存；sha256 %s", chunks.zh, digestName(rc.Suite), sha))
	s.say(d.opts.Lang, "received: "+v.Transfer.File, "接收文件："+v.Transfer.File)
	check, err := deidentified(d.story.csv, v.Transfer.File)
	if err != nil {
		return err
	}
	if check.leaks > 0 {
		return fmt.Errorf("%d direct identifiers of the source are in the received file", check.leaks)
	}
	s.say(d.opts.Lang, fmt.Sprintf("de-identified: columns %s; none of the source's %s distinct names, resident IDs and mobiles is in it",
		strings.Join(check.header, ", "), num(check.checked)),
		fmt.Sprintf("已去标识化：字段 %s；源数据中 %s 个不同的姓名、身份证号和手机号无一出现", strings.Join(check.header, "、"), num(check.checked)))
	s.say(d.opts.Lang, "  at the hospital: "+check.before, "  医院原始记录："+check.before)
	s.say(d.opts.Lang, "  as received:     "+check.after, "  对方收到：    "+check.after)
	s.Facts["file"], s.Facts["bytes"], s.Facts["sha256"], s.Facts["suite"] = v.Transfer.File, len(got), sha, rc.Suite
	s.Facts["receiptDigest"], s.Facts["verified"], s.Facts["columns"], s.Facts["identifiersChecked"] = hex.EncodeToString(rc.Digest), true, check.header, check.checked
	s.Facts["providerPid"] = providerPID
	return nil
}

func digestName(suite string) string {
	if suite == "gm" {
		return "SM3"
	}
	return "SHA-256"
}

// deidentification is what the check of a received file found.
type deidentification struct {
	header        []string
	checked       int // distinct direct identifiers of the source
	leaks         int // cells of the received file equal to one of them
	before, after string
}

// deidentified checks that no value of a direct identifier column of the
// source (name, resident ID, mobile) is a cell of the received CSV.
func deidentified(source, received string) (*deidentification, error) {
	src, err := readCSV(source)
	if err != nil {
		return nil, err
	}
	got, err := readCSV(received)
	if err != nil {
		return nil, err
	}
	if len(src) < 2 || len(got) < 2 {
		return nil, fmt.Errorf("de-identification check: empty table")
	}
	raw := map[string]bool{}
	for _, name := range directIdentifiers {
		if i := slices.Index(src[0], name); i >= 0 {
			for _, row := range src[1:] {
				raw[row[i]] = true
			}
		}
	}
	out := &deidentification{header: got[0], checked: len(raw), before: strings.Join(src[1], ","), after: strings.Join(got[1], ",")}
	for _, row := range got {
		for _, cell := range row {
			if raw[cell] {
				out.leaks++
				continue
			}
			for _, run := range numberRuns(cell) { // an ID or mobile inside a longer value
				if raw[run] {
					out.leaks++
				}
			}
		}
	}
	return out, nil
}

// numberRuns returns the maximal runs of digits (with a trailing X, as in
// resident IDs) of s.
func numberRuns(s string) []string {
	var runs []string
	start := -1
	for i := 0; i <= len(s); i++ {
		digit := i < len(s) && (s[i] >= '0' && s[i] <= '9' || start >= 0 && (s[i] == 'X' || s[i] == 'x'))
		if digit && start < 0 {
			start = i
		}
		if !digit && start >= 0 {
			runs = append(runs, s[start:i])
			start = -1
		}
	}
	return runs
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}
