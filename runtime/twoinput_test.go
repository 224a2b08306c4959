package runtime_test

import (
	"testing"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/twoinputtest"
)

// TestTwoInputTaskOverLocalExchange runs the two-input test job in one
// process: each record reaches the input its edge feeds, and the barriers
// of both inputs are aligned into one consistent cut.
func TestTwoInputTaskOverLocalExchange(t *testing.T) {
	x := runtime.NewLocalExchange()
	twoinputtest.Run(t, func(int) runtime.Exchange { return x }, nil, 20000)
}
