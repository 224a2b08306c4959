package runtime

import (
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// codecGolden pins the default codec's wire format: a change in these bytes
// breaks savepoints and mixed-version exchanges, so it must be deliberate
// (go test -run CodecGolden -update).
func codecGolden[T any](name string, v T) func(t *testing.T) {
	return func(t *testing.T) {
		c, err := CodecFor[T](NewCodecRegistry())
		if err != nil {
			t.Fatal(err)
		}
		b := c.Append(nil, v)
		path := filepath.Join("testdata", "codec", name+".golden")
		var sb strings.Builder
		for i := 0; i < len(b); i += 32 {
			sb.WriteString(hex.EncodeToString(b[i:min(i+32, len(b))]))
			sb.WriteByte('\n')
		}
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(want) != sb.String() {
			t.Fatalf("encoding of %s changed:\n got %s\nwant %s", name, sb.String(), want)
		}
		raw, err := hex.DecodeString(strings.ReplaceAll(string(want), "\n", ""))
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := c.Decode(raw)
		if err != nil || n != len(raw) {
			t.Fatalf("decode golden: n %d of %d, err %v", n, len(raw), err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("decode golden:\n got %#v\nwant %#v", got, v)
		}
	}
}

func TestCodecGolden(t *testing.T) {
	all := codecSample()
	all.Map = map[string]int{"one": 1} // one entry: map order cannot vary
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"int64-minus-one", codecGolden("int64-minus-one", int64(-1))},
		{"string", codecGolden("string", "héllo")},
		{"click", codecGolden("click", codecClick{UserID: 42, Page: "/home", Ts: 1700000000000, Score: 0.5, Country: "NL", Flags: 3})},
		{"all-kinds", codecGolden("all-kinds", all)},
		{"pointers", codecGolden("pointers", []*codecNode{nil, {Val: -3, Next: &codecNode{Val: 4}}})},
		{"time", codecGolden("time", time.Date(2026, 11, 21, 17, 0, 0, 1, time.UTC))},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}
