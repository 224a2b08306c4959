package hdfsstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
)

// hadoopWith writes a core-site.xml with props and loads it.
func hadoopWith(t *testing.T, props map[string]string) *conf.Hadoop {
	t.Helper()
	var b strings.Builder
	b.WriteString("<configuration>\n")
	for k, v := range props {
		fmt.Fprintf(&b, "<property><name>%s</name><value>%s</value></property>\n", k, v)
	}
	b.WriteString("</configuration>\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := conf.LoadHadoop(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
