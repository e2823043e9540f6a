package synth_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xborder/xborder/internal/synth"
)

func ExampleWriteCSV() {
	var buf bytes.Buffer
	st, err := synth.WriteCSV(&buf, synth.CSVOptions{Seed: 1, Rows: 1000})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.SplitN(buf.String(), "\n", 2)[0])
	fmt.Println(st.Rows, "rows,", st.Individuals, "individuals,", st.SensitiveIndividuals, "sensitive")
	for _, c := range st.Columns {
		fmt.Printf("%s=%s ", c.Name, c.Class)
	}
	fmt.Println()
	// Output:
	// 订单号,姓名,身份证号,手机号,邮箱,地址,银行卡号,诊断,金额,备注
	// 1000 rows, 782 individuals, 361 sensitive
	// 订单号=none 姓名=person_name 身份证号=cn_resident_id 手机号=cn_mobile 邮箱=email 地址=address 银行卡号=bank_card 诊断=health 金额=none 备注=none
}
