// GssPeer is a JDK GSSAPI (Kerberos) SASL server for yarnrpc's interop
// test (jdk_interop_test.go), acting as Hadoop's RPC server does. It logs
// in from a keytab as an acceptor only (no KDC needed) and talks hex lines
// over stdin/stdout:
//   in:  client token             out: "C <hex>" challenge, or "S <hex>" when complete
//   after completion              out: authorization id, negotiated qop
//   in:  wrapped client buffer    out: the payload wrapped back by the server
// Arguments: keytab path, principal (rm/host@REALM), qop list.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.security.PrivilegedExceptionAction;
import java.util.HashMap;
import java.util.Map;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslServer;

public class GssPeer {
    public static void main(String[] args) throws Exception {
        final String keytab = args[0];
        final String principal = args[1];
        final String realm = principal.substring(principal.indexOf('@') + 1);
        final String service = principal.substring(0, principal.indexOf('/'));
        final String host = principal.substring(principal.indexOf('/') + 1, principal.indexOf('@'));
        System.setProperty("java.security.krb5.realm", realm);
        System.setProperty("java.security.krb5.kdc", "127.0.0.1:9"); // never contacted by an acceptor
        Configuration jaas = new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                Map<String, String> opts = new HashMap<>();
                opts.put("useKeyTab", "true");
                opts.put("keyTab", keytab);
                opts.put("principal", principal);
                opts.put("storeKey", "true");
                opts.put("isInitiator", "false");
                opts.put("doNotPrompt", "true");
                return new AppConfigurationEntry[] {new AppConfigurationEntry(
                    "com.sun.security.auth.module.Krb5LoginModule",
                    AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, opts)};
            }
        };
        LoginContext lc = new LoginContext("rpc", null, null, jaas);
        lc.login();
        Subject subject = lc.getSubject();
        final Map<String, String> props = new HashMap<>();
        props.put(Sasl.QOP, args[2]);
        final CallbackHandler handler = callbacks -> {
            for (Callback cb : callbacks) {
                if (cb instanceof AuthorizeCallback) {
                    AuthorizeCallback ac = (AuthorizeCallback) cb;
                    ac.setAuthorized(ac.getAuthenticationID().equals(ac.getAuthorizationID()));
                    ac.setAuthorizedID(ac.getAuthorizationID());
                }
            }
        };
        final SaslServer server = Subject.doAs(subject, (PrivilegedExceptionAction<SaslServer>) () ->
            Sasl.createSaslServer("GSSAPI", service, host, props, handler));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        PrintStream out = System.out;
        while (!server.isComplete()) {
            String line = in.readLine();
            if (line == null) {
                return;
            }
            final byte[] token = unhex(line);
            byte[] reply = Subject.doAs(subject, (PrivilegedExceptionAction<byte[]>) () -> server.evaluateResponse(token));
            out.println((server.isComplete() ? "S " : "C ") + hex(reply == null ? new byte[0] : reply));
            out.flush();
        }
        out.println(server.getAuthorizationID());
        out.println(server.getNegotiatedProperty(Sasl.QOP));
        out.flush();
        for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
            byte[] wrapped = unhex(line);
            byte[] plain = server.unwrap(wrapped, 0, wrapped.length);
            byte[] back = server.wrap(plain, 0, plain.length);
            out.println(hex(back));
            out.flush();
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
