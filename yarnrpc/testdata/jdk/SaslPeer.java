// SaslPeer is a JDK DIGEST-MD5 SASL server for yarnrpc's interop test
// (jdk_interop_test.go). It talks hex lines over stdin/stdout:
//   out: initial challenge
//   in:  client response            out: rspauth, negotiated qop, cipher
//   in:  wrapped client buffer      out: the same payload wrapped back by the server
// Arguments: qop list (e.g. "auth-conf"), password (the Base64 token password).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.RealmCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslServer;

public class SaslPeer {
    public static void main(String[] args) throws Exception {
        final String password = args[1];
        Map<String, String> props = new HashMap<>();
        props.put(Sasl.QOP, args[0]);
        CallbackHandler handler = callbacks -> {
            for (Callback cb : callbacks) {
                if (cb instanceof PasswordCallback) {
                    ((PasswordCallback) cb).setPassword(password.toCharArray());
                } else if (cb instanceof RealmCallback) {
                    RealmCallback rc = (RealmCallback) cb;
                    rc.setText(rc.getDefaultText());
                } else if (cb instanceof AuthorizeCallback) {
                    AuthorizeCallback ac = (AuthorizeCallback) cb;
                    ac.setAuthorized(ac.getAuthenticationID().equals(ac.getAuthorizationID()));
                } else if (!(cb instanceof NameCallback)) {
                    throw new IllegalStateException("unexpected callback " + cb);
                }
            }
        };
        SaslServer server = Sasl.createSaslServer("DIGEST-MD5", "", "default", props, handler);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        PrintStream out = System.out;
        out.println(hex(server.evaluateResponse(new byte[0])));
        out.flush();
        byte[] done = server.evaluateResponse(unhex(in.readLine()));
        out.println(hex(done));
        out.println(server.getNegotiatedProperty(Sasl.QOP));
        out.println(server.getNegotiatedProperty("com.sun.security.sasl.digest.cipher"));
        out.flush();
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
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
