package stream

import (
	"github.com/floe-yarn/floe/metrics"
)

// metricGroup names the metric group type for files that do not import
// package metrics.
type metricGroup = metrics.Group

// Metrics is the keyed process operator's metric group (user metrics).
func (c *KeyedContext[K, S]) Metrics() *metrics.Group { return c.metrics }
