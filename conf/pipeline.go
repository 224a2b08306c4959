package conf

// PipelineKeys are the job-level options the job binary applies itself
// while main() builds the job (the key groups, the watermark interval): a
// submission hands the ones it sets to the job binary in every role (the
// plan, and each TaskManager process), so all build the same job.
var PipelineKeys = []string{MaxParallelism, AutoWatermarkInterval}

// PipelineProperties returns "key=value" for each of PipelineKeys whose
// value in cfg is not its default, in PipelineKeys' order.
func PipelineProperties(cfg *Config) []string {
	var out []string
	for _, k := range PipelineKeys {
		if v, ok := cfg.values[k]; ok && v.source.Kind != SourceDefault {
			out = append(out, k+"="+v.raw)
		}
	}
	return out
}
