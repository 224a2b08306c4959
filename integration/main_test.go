package integration

import (
	"os"
	"testing"
)

// TestMain removes what the tests built (ycBinaries' folder of job
// binaries) once they ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if ycBuild.dir != "" {
		_ = os.RemoveAll(ycBuild.dir)
	}
	os.Exit(code)
}
