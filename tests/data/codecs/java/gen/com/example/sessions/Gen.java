package com.example.sessions;

import java.io.ByteArrayOutputStream;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamConstants;
import java.io.Serializable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.csrf.DefaultCsrfToken;

// Writes the Java-serialized test values of tst_codecs_java with the JDK's ObjectOutputStream.
// Spring Session's JdkSerializationRedisSerializer writes each hash field value exactly so:
// new ObjectOutputStream(out).writeObject(value); flush().
public final class Gen {
    enum Color {
        RED,
        GREEN {
            @Override
            public String toString() { return "green with a body"; }
        }
    }

    static class Parent implements Serializable {
        private static final long serialVersionUID = 1L;
        int x = 1;
        String label = "parent";
    }

    static class Child extends Parent {
        private static final long serialVersionUID = 1L;
        int x = 2; // hides Parent.x
        String extra = "child";
    }

    // writeObject() adds data beyond the fields.
    static class Custom implements Serializable {
        private static final long serialVersionUID = 1L;
        String name = "custom";
        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            out.writeInt(0x01020304);
            out.writeUTF("extra");
            out.writeObject("an object");
        }
    }

    public static class External implements Externalizable {
        private static final long serialVersionUID = 1L;
        public External() {}
        public void writeExternal(ObjectOutput out) throws IOException {
            out.writeInt(7);
            out.writeObject("external");
        }
        public void readExternal(ObjectInput in) throws IOException, ClassNotFoundException {}
    }

    static class Handler implements InvocationHandler, Serializable {
        private static final long serialVersionUID = 1L;
        String note = "proxy handler";
        public Object invoke(Object proxy, Method method, Object[] args) { return null; }
    }

    static class Node implements Serializable {
        private static final long serialVersionUID = 1L;
        String name;
        Node next;
        Node(String name) { this.name = name; }
    }

    static class Holder implements Serializable {
        private static final long serialVersionUID = 1L;
        Object value;
        Object notSerializable = new Object(); // makes writeObject() fail with TC_EXCEPTION
    }

    static class Everything implements Serializable {
        private static final long serialVersionUID = 1L;
        byte b = -5;
        char c = 'é';
        double d = 2.5;
        float f = 0.25f;
        int i = -123456;
        long j = 9007199254740993L;
        short s = -300;
        boolean z = true;
        double inf = Double.POSITIVE_INFINITY;
        String text = "Zoë ✓ 😀 \u0000 nul";
        Integer boxedInt = 42;
        Long boxedLong = -7L;
        Short boxedShort = 12;
        Byte boxedByte = 3;
        Double boxedDouble = 1.5;
        Float boxedFloat = 0.5f;
        Boolean boxedBool = Boolean.FALSE;
        Character boxedChar = 'Q';
        int[] ints = {1, -2, 3};
        byte[] bytes = {0, 1, -1, 127};
        char[] chars = {'h', 'i'};
        long[][] matrix = {{1, 2}, {3}};
        String[] strings = {"a", null, "c"};
        Object[] mixed = {1, "two", null};
        ArrayList<Object> list = new ArrayList<>(List.of(1, "two", 3.0));
        HashMap<String, Object> map = new HashMap<>(Map.of("k", "v"));
        LinkedHashMap<Object, Object> linkedMap = new LinkedHashMap<>();
        TreeMap<String, Integer> treeMap = new TreeMap<>(Map.of("b", 2, "a", 1));
        HashSet<String> set = new HashSet<>(Set.of("only"));
        LinkedHashSet<String> linkedSet = new LinkedHashSet<>(List.of("first", "second"));
        TreeSet<String> treeSet = new TreeSet<>(List.of("y", "x"));
        LinkedList<Integer> linkedList = new LinkedList<>(List.of(5, 6));
        ArrayDeque<String> deque = new ArrayDeque<>(List.of("d1"));
        Hashtable<String, String> hashtable = new Hashtable<>(Map.of("h", "t"));
        Properties properties = new Properties();
        Vector<String> vector = new Vector<>(List.of("v1", "v2"));
        ConcurrentHashMap<String, Integer> concurrentMap = new ConcurrentHashMap<>(Map.of("c", 3));
        CopyOnWriteArrayList<String> cowList = new CopyOnWriteArrayList<>(List.of("cow"));
        List<String> unmodifiable = Collections.unmodifiableList(new ArrayList<>(List.of("u1", "u2")));
        List<String> singleton = Collections.singletonList("one");
        Map<String, String> singletonMap = Collections.singletonMap("sk", "sv");
        Map<String, String> emptyMap = Collections.emptyMap();
        List<String> asList = Arrays.asList("as", "list");
        Date date = new Date(1764508763123L);
        java.sql.Timestamp timestamp = new java.sql.Timestamp(1764508763123L);
        Instant instant = Instant.ofEpochSecond(1764508763L, 456_000_000);
        UUID uuid = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        Color color = Color.RED;
        Color colorWithBody = Color.GREEN;
        TimeUnit unit = TimeUnit.SECONDS;
        Class<?> type = String.class;
        Object proxy = Proxy.newProxyInstance(Gen.class.getClassLoader(),
                new Class<?>[] {Runnable.class, Comparable.class}, new Handler());
        External external = new External();
        Custom custom = new Custom();
        Child child = new Child();
        Object self = this; // a cycle
        Object sameList; // a back-reference to `list`
        Object nothing = null;
        Everything() {
            linkedMap.put("first", 1);
            linkedMap.put(2, "second");
            properties.setProperty("p", "q");
            sameList = list;
        }
    }

    static byte[] serialize(Object value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ObjectOutputStream out = new ObjectOutputStream(bytes);
        out.writeObject(value);
        out.flush();
        return bytes.toByteArray();
    }

    static void write(String name, byte[] data) throws IOException {
        Files.write(Path.of(name), data);
    }

    public static void main(String[] args) throws Exception {
        // Spring Session's hash fields for one logged-in session.
        long created = 1764508763123L;
        write("spring-creationTime.ser", serialize(created));
        write("spring-lastAccessedTime.ser", serialize(created + 60_000));
        write("spring-maxInactiveInterval.ser", serialize(1800));
        List<GrantedAuthority> authorities = List.of(new SimpleGrantedAuthority("ROLE_USER"),
                new SimpleGrantedAuthority("ROLE_ADMIN"));
        User user = new User("alice@example.com", "{bcrypt}$2a$10$secrethash", authorities);
        user.eraseCredentials();
        UsernamePasswordAuthenticationToken token =
                new UsernamePasswordAuthenticationToken(user, null, user.getAuthorities());
        token.setDetails(new WebAuthenticationDetails("127.0.0.1", null));
        write("spring-security-context.ser", serialize(new SecurityContextImpl(token)));
        // A principal that is a plain string (e.g. a custom AuthenticationProvider).
        write("spring-security-context-string-principal.ser", serialize(new SecurityContextImpl(
                new UsernamePasswordAuthenticationToken("bob", "not-erased-password", List.of()))));
        write("spring-csrf.ser", serialize(new DefaultCsrfToken("X-CSRF-TOKEN", "_csrf",
                "5f1c8e0a-csrf-token-value")));
        write("spring-principal-name.ser", serialize("alice@example.com"));

        write("everything.ser", serialize(new Everything()));
        // Longer than 65535 bytes of modified UTF-8: TC_LONGSTRING.
        write("long-string.ser", serialize("é".repeat(40000)));

        // A linked chain, deep enough to meet the depth limit (64) of the decoder.
        Node head = new Node("n0");
        Node tail = head;
        for (int i = 1; i < 100; ++i) {
            tail.next = new Node("n" + i);
            tail = tail.next;
        }
        write("deep-chain.ser", serialize(head));

        // Top-level block data, two objects and a reset between them.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ObjectOutputStream out = new ObjectOutputStream(bytes);
        out.writeInt(7);
        out.writeObject("before reset");
        out.reset();
        out.writeObject(List.of("after reset"));
        out.flush();
        write("reset-and-blockdata.ser", bytes.toByteArray());

        // A writer that fails half-way: the stream ends with TC_EXCEPTION and the exception.
        bytes = new ByteArrayOutputStream();
        out = new ObjectOutputStream(bytes);
        Holder holder = new Holder();
        holder.value = "written before the failure";
        try {
            out.writeObject(holder);
        } catch (IOException expected) {
            // NotSerializableException: java.lang.Object
        }
        write("exception.ser", bytes.toByteArray());

        // Externalizable data in the pre-1.2 format, which only the class itself can read.
        bytes = new ByteArrayOutputStream();
        out = new ObjectOutputStream(bytes);
        out.useProtocolVersion(ObjectStreamConstants.PROTOCOL_VERSION_1);
        out.writeObject(new External());
        out.flush();
        write("externalizable-v1.ser", bytes.toByteArray());

        write("version.txt", (System.getProperty("java.vendor") + " "
                + System.getProperty("java.version") + "\n").getBytes());
    }
}
