// FlinkRestCheck drives Flink's own REST client (RestClusterClient of
// flink-clients) against a Floe JobManager: it lists the jobs (GET
// /jobs/overview), reads one job's details (GET /jobs/:jobid), and tries to
// cancel it without credentials (PATCH /jobs/:jobid, which Floe refuses).
// Each result is printed on a line the Go test reads.
import java.util.Collection;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;

public class FlinkRestCheck {
    public static void main(String[] args) throws Exception {
        Configuration conf = new Configuration();
        conf.setString("rest.address", args[0]);
        conf.setInteger("rest.port", Integer.parseInt(args[1]));
        conf.setInteger("rest.retry.max-attempts", 0);
        JobID id = JobID.fromHexString(args[2]);
        try (RestClusterClient<String> c = new RestClusterClient<>(conf, "floe")) {
            Collection<JobStatusMessage> jobs = c.listJobs().get();
            for (JobStatusMessage j : jobs) {
                System.out.println("LIST " + j.getJobId() + " " + j.getJobState() + " " + j.getJobName());
            }
            JobDetailsInfo d = c.getJobDetails(id).get();
            System.out.println("DETAILS " + d.getJobId() + " " + d.getJobStatus() + " vertices=" + d.getJobVertexInfos().size());
            for (JobDetailsInfo.JobVertexDetailsInfo v : d.getJobVertexInfos()) {
                System.out.println("VERTEX " + v.getJobVertexID() + " " + v.getName() + " p=" + v.getParallelism() + " " + v.getExecutionState());
            }
            System.out.println("STATUS " + c.getJobStatus(id).get());
            try {
                c.cancel(id).get();
                System.out.println("CANCEL accepted");
            } catch (Exception e) {
                System.out.println("CANCEL refused");
            }
        }
    }
}
