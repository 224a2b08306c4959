package conf

import "testing"

// FuzzParseYAML: any file content yields items or an error, never a panic.
func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("a: 1\nb:\n  c: [x, y]\n"))
	f.Add([]byte("a: &x 1\nb: *x\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := parseYAML("f.yaml", b)
		if err != nil && items != nil {
			t.Fatal("items and an error")
		}
	})
}

// FuzzParseValues: the value parsers never panic.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"30 s", "1g", "99999999999999999999t", "-", "1h30m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("negative duration %v from %q", d, s)
		}
		if m, err := ParseMemorySize(s); err == nil && m < 0 {
			t.Fatalf("negative size %v from %q", m, s)
		}
	})
}
