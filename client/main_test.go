package client

import (
	"fmt"
	"os"
	"testing"

	"github.com/floe-yarn/floe/contract"
)

// TestMain lets the tests use their own binary as a job binary: in the
// plan role it writes a tiny job graph (or, given -no-graph, none).
func TestMain(m *testing.M) {
	if os.Getenv(contract.EnvRole) == contract.RolePlan {
		if len(os.Args) > 1 && os.Args[1] == "-no-graph" {
			fmt.Println("main() without Execute")
			os.Exit(0)
		}
		g := fmt.Sprintf(`{"name":"planned","parallelism":%q}`, os.Getenv(contract.EnvParallelism))
		if err := os.WriteFile(os.Getenv(contract.EnvPlanFile), []byte(g), 0o644); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
