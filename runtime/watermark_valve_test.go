package runtime

import (
	"fmt"
	"strings"
	"testing"
)

// TestWatermarkValve feeds a script of inputs to a valve and checks what
// it forwards. Steps: "w<ch>:<ts>" watermark, "i<ch>" idle, "r<ch>" record,
// "e<ch>" end; the expected outputs: "-" nothing, "<ts>" advanced, "idle",
// "idle <ts>", "max".
func TestWatermarkValve(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		steps []string
		want  []string
	}{
		{"min over inputs", 2,
			[]string{"w0:10", "w1:5", "w1:20", "w0:30", "w0:25"},
			[]string{"-", "5", "10", "20", "-"}},
		{"never goes back", 1,
			[]string{"w0:10", "w0:3"},
			[]string{"10", "-"}},
		{"idle input stops holding back", 3,
			[]string{"w0:10", "w1:12", "i2", "w0:15", "w1:14"},
			[]string{"-", "-", "10", "12", "14"}},
		{"idle input rejoins with a record", 2,
			[]string{"w0:10", "i1", "w0:20", "r1", "w0:30", "w1:25"},
			[]string{"-", "10", "20", "-", "-", "25"}},
		{"all idle: idle at the largest", 2,
			[]string{"w0:10", "w1:4", "i0", "i1", "w1:40"},
			[]string{"-", "4", "-", "idle 10", "40"}},
		{"end of input counts as max", 2,
			[]string{"w0:10", "w1:5", "e1", "e0"},
			[]string{"-", "5", "10", "max"}},
		{"end while others idle", 2,
			[]string{"i0", "e1"},
			[]string{"-", "idle"}},
		{"per-split style: ended split removed", 3,
			[]string{"w0:100", "w1:50", "w2:70", "e1", "e2", "w0:200"},
			[]string{"-", "-", "50", "70", "100", "200"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := NewWatermarkValve(tc.n)
			for i, s := range tc.steps {
				var ch int
				var ts int64
				var o ValveOutput
				var err error
				switch s[0] {
				case 'w':
					_, err = fmt.Sscanf(s, "w%d:%d", &ch, &ts)
					o = v.Watermark(ch, ts)
				case 'i':
					_, err = fmt.Sscanf(s, "i%d", &ch)
					o = v.Watermark(ch, IdleWatermark)
				case 'r':
					_, err = fmt.Sscanf(s, "r%d", &ch)
					o = v.Active(ch)
				case 'e':
					_, err = fmt.Sscanf(s, "e%d", &ch)
					o = v.End(ch)
				}
				if err != nil {
					t.Fatalf("step %q: %v", s, err)
				}
				if got := valveString(o); got != tc.want[i] {
					t.Fatalf("step %d (%s): got %q, want %q", i, s, got, tc.want[i])
				}
			}
		})
	}
}

func valveString(o ValveOutput) string {
	var parts []string
	if o.Idle {
		parts = append(parts, "idle")
	}
	if o.Advanced {
		if o.Watermark == MaxWatermark {
			parts = append(parts, "max")
		} else {
			parts = append(parts, fmt.Sprint(o.Watermark))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
