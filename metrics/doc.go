// Package metrics is Floe's metric system, shaped like Flink's: metrics
// live in groups whose scopes and variables are Flink's (jobmanager, job,
// taskmanager, task, operator; <job_id>, <task_name>, <subtask_index>, …)
// under Flink's names (numRecordsIn, busyTimeMsPerSecond, uptime, …), so
// that the reporters — the REST API and a Prometheus endpoint — speak what
// Flink's tools expect.
//
// A Registry holds root groups; Group.Child adds a scope level with its
// variables and Close removes it (a task's group goes when the task ends).
// Metrics are Counters (atomic), Gauges (a function read by the reporter's
// goroutine, which must be safe to call from it), Histograms (a sliding
// window of the newest values, as Flink's DescriptiveStatisticsHistogram)
// and Meters (a rate over the last minute of a count, as Flink's MeterView;
// Registry.Update, called every few seconds with the time, advances them).
//
// The per-record paths never touch an atomic or a lock: a task keeps its
// figures in TaskIO's plain fields on its own goroutine and publishes them
// (a handful of atomic stores) between batches; the reporters read what was
// published last.
//
// Prometheus: Collector turns a Registry into Flink's Prometheus names —
// the scope joined by '_' after "flink_", then the metric name
// (flink_taskmanager_job_task_operator_numRecordsIn) — with the variables as
// labels (job_id, task_name, subtask_index, operator_name, tm_id, …);
// ReporterFromConfig reads metrics.reporter.prom.factory.class and
// metrics.reporter.prom.port (a port or a range like 9250-9260: the first
// free one is taken, as Flink's reporter does), and Serve answers
// GET /metrics.
//
//	reg := metrics.NewRegistry()
//	tm := reg.Root(metrics.ScopeTaskManager, metrics.Label{Key: "tm_id", Value: id})
//	c := tm.Child(metrics.ScopeJob, metrics.Label{Key: "job_id", Value: job}).Counter("myCounter")
//	c.Inc()
//	rep, _ := metrics.Listen(metrics.ReporterOptions{Ports: "9250-9260", Registry: reg})
//	go rep.Serve(ctx)
package metrics
