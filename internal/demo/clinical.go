package demo

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/synth"
)

// The sample data: a Shenzhen hospital's oncology cases, synthetic and
// deterministic for a seed (no real person is in it). Every row is one
// patient with a name, a mobile number, a resident identity number whose
// region, birth date, sequence and check character are valid (GB 11643)
// and agree with the birth date and sex columns, and a cancer diagnosis
// (ICD-10 code and Chinese name) with its stage, date and treatment.

// clinicalHeader is the table's header, as the hospital's system exports it.
var clinicalHeader = []string{"病历号", "姓名", "性别", "出生日期", "身份证号", "手机号", "诊断", "分期", "确诊日期", "治疗方案"}

// Columns of clinicalHeader that identify a patient directly: none of
// their values may cross the border.
var directIdentifiers = []string{"姓名", "身份证号", "手机号"}

type cancer struct {
	icd, zh string
	sex     byte // 'F' or 'M' for sex-specific sites, 0 otherwise
}

// cancers are frequent sites in southern China (nasopharynx among them).
var cancers = [...]cancer{
	{"C34.9", "肺恶性肿瘤", 0}, {"C50.9", "乳腺恶性肿瘤", 'F'}, {"C18.9", "结肠恶性肿瘤", 0}, {"C20", "直肠恶性肿瘤", 0},
	{"C16.9", "胃恶性肿瘤", 0}, {"C22.0", "肝细胞癌", 0}, {"C15.9", "食管恶性肿瘤", 0}, {"C11.9", "鼻咽恶性肿瘤", 0},
	{"C73", "甲状腺恶性肿瘤", 0}, {"C53.9", "宫颈恶性肿瘤", 'F'}, {"C61", "前列腺恶性肿瘤", 'M'}, {"C25.9", "胰腺恶性肿瘤", 0},
}

var stages = [...]string{"I", "II", "III", "IV"}

var treatments = [...]string{"手术", "化疗", "放疗", "靶向治疗", "免疫治疗", "手术+化疗", "放化疗"}

// writeClinical writes rows patients seeded by seed as UTF-8 CSV.
func writeClinical(w io.Writer, seed uint64, rows int) error {
	r := rand.New(rand.NewPCG(seed, 0xc1_1a_1c))
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(clinicalHeader); err != nil {
		return err
	}
	born0 := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	diag0 := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		born := born0.AddDate(0, 0, r.IntN(56*365))
		sex := byte('F')
		if r.IntN(2) == 0 {
			sex = 'M'
		}
		c := cancers[r.IntN(len(cancers))]
		for c.sex != 0 && c.sex != sex {
			c = cancers[r.IntN(len(cancers))]
		}
		rec := []string{
			fmt.Sprintf("ZL%08d", 20260001+i),
			synth.ChineseName(r),
			map[byte]string{'F': "女", 'M': "男"}[sex],
			born.Format("2006-01-02"),
			residentID(r, born, sex),
			synth.CNMobile(r),
			c.icd + " " + c.zh,
			stages[r.IntN(len(stages))],
			diag0.AddDate(0, 0, r.IntN(5*365)).Format("2006-01-02"),
			treatments[r.IntN(len(treatments))],
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// residentID is a valid GB 11643 number for a person born on born of sex:
// a real county code (from synth's table), the birth date, a sequence
// whose last digit is odd for men and even for women, the check character.
func residentID(r *rand.Rand, born time.Time, sex byte) string {
	region := synth.ResidentID(r)[:6]
	seq := r.IntN(500) * 2
	if sex == 'M' {
		seq++
	}
	first17 := fmt.Sprintf("%s%s%03d", region, born.Format("20060102"), seq)
	c, _ := classify.ResidentIDCheckChar(first17)
	return first17 + string(c)
}
