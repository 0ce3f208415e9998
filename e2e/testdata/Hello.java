import java.io.*; import java.net.*; import java.nio.file.*; import java.util.concurrent.*;
public class Hello {
  public static void main(String[] a) throws Exception {
    Path d = Files.createTempDirectory("j"); Path f = d.resolve("x.txt");
    Files.writeString(f, "hello"); System.out.println(Files.readString(f)); Files.delete(f); Files.delete(d);
    ExecutorService ex = Executors.newFixedThreadPool(4); for (int i = 0; i < 8; i++) ex.submit(() -> Math.sqrt(2)); ex.shutdown(); ex.awaitTermination(5, TimeUnit.SECONDS);
    try (ServerSocket s = new ServerSocket(0)) { Thread t = new Thread(() -> { try (Socket c = s.accept()) { c.getOutputStream().write(1); } catch (IOException e) {} }); t.start();
      try (Socket c = new Socket("127.0.0.1", s.getLocalPort())) { System.out.println(c.getInputStream().read()); } t.join(); }
    Process p = new ProcessBuilder("true").start(); System.out.println(p.waitFor());
    System.out.println(InetAddress.getByName("localhost"));
  }
}
