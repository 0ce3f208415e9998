# varied.sh DIR: real programs (ls, git, python3, node, busybox, java, sqlite3, xz, curl) used in
# varied ways, as a user would:
# (those not installed are skipped): the inputs TestStaticPrecision records to measure how close inspect's static sets are to
# what the programs made. Run with DIR an empty working directory.
set +e
here=$(dirname "$(readlink -f "$0")")
cd "$1"
# ls
mkdir -p d/sub && touch d/a d/sub/b && ln -sf a d/l && chown 54321:54321 d/a && mkfifo d/fifo
ls >/dev/null
ls -la /etc >/dev/null
ls -R --color=always d >/dev/null
ls -lZ /nonexistent /tmp >/dev/null 2>&1
ls -l --author -i -n /dev/null d >/dev/null
ls -lL /proc/self/fd >/dev/null 2>&1
ls -l --time-style=full-iso --sort=time --time=birth d >/dev/null
ls -lh --si -s /usr/bin | head -1 >/dev/null
TZ=Europe/Paris ls -l / >/dev/null
# git
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
git --version >/dev/null
git init -q repo && cd repo
echo x > f && git add f && git commit -q -m one
git checkout -q -b topic && echo y >> f && git commit -q -am two && git checkout -q - && git merge -q --no-edit topic
git log -p --stat >/dev/null && git diff HEAD~1 >/dev/null && git status >/dev/null && git grep -q x
git tag v1 && git stash list >/dev/null && git gc -q && git fsck --no-progress
git archive --format=tar HEAD | tar tf - >/dev/null
git worktree add -q ../wt topic && git -C ../wt status --short >/dev/null
git blame f >/dev/null && git show --stat HEAD >/dev/null && git shortlog -s HEAD >/dev/null
git format-patch -q -1 -o ../patches && git repack -adq && git count-objects -v >/dev/null
cd .. && git clone -q repo clone && git -C clone log --oneline >/dev/null
git hash-object /etc/hostname >/dev/null
# python3
python3 -c 'print(1)' >/dev/null
python3 -c 'import os, json; print(json.dumps(os.listdir(".")))' >/dev/null
python3 -c 'import json, socket, ssl, hashlib, sqlite3, ctypes; print(hashlib.sha256(b"x").hexdigest(), sqlite3.connect(":memory:").execute("select 1").fetchone(), ssl.create_default_context().verify_mode)' >/dev/null
python3 -c 'import pwd, grp, decimal, lzma, bz2, zlib; print(pwd.getpwuid(0).pw_name, decimal.Decimal(1)/3, len(lzma.compress(b"x")))' >/dev/null
python3 - <<'PY' >/dev/null
import http.server, threading, urllib.request, subprocess, tempfile, shutil, os, sqlite3, tarfile, time
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
print(urllib.request.urlopen("http://127.0.0.1:%d/" % srv.server_port).read()[:10])
srv.shutdown()
subprocess.run(["true"], check=True)
d = tempfile.mkdtemp()
shutil.copytree("/etc/ssl", os.path.join(d, "ssl"), symlinks=True)
db = sqlite3.connect(os.path.join(d, "x.db")); db.execute("create table t(a)"); db.execute("insert into t values (1)"); db.commit(); db.close()
with tarfile.open(os.path.join(d, "x.tgz"), "w:gz") as t: t.add(os.path.join(d, "ssl"))
with tarfile.open(os.path.join(d, "x.tgz")) as t: t.extractall(os.path.join(d, "out"))
shutil.rmtree(d)
time.sleep(0.01)
PY
python3 -c 'import multiprocessing as m; print(m.Pool(2).map(abs, [-1, -2]))' >/dev/null
python3 -c 'import asyncio; asyncio.run(asyncio.sleep(0.01))' >/dev/null
python3 - <<'PY' >/dev/null
import os, signal, select, mmap, threading, resource, time
signal.signal(signal.SIGALRM, lambda *a: None); signal.setitimer(signal.ITIMER_REAL, 0.01); time.sleep(0.05); signal.setitimer(signal.ITIMER_REAL, 0)
r, w = os.pipe(); os.write(w, b"x"); select.select([r], [], [], 1); os.close(r); os.close(w)
with open("m.bin", "wb") as f: f.write(b"\0" * 4096)
with open("m.bin", "r+b") as f: m = mmap.mmap(f.fileno(), 0); m[0] = 1; m.close()
lock = threading.Lock(); t = threading.Thread(target=lambda: lock.acquire() and lock.release()); t.start(); t.join()
pid = os.fork()
if pid == 0: os._exit(0)
os.waitpid(pid, 0); print(resource.getrlimit(resource.RLIMIT_NOFILE))
PY
python3 - <<'PY' >/dev/null
import os, shutil, glob
os.makedirs("py/a/b", exist_ok=True)
with open("py/a/f.txt", "w") as f: f.write("hello\n"); f.flush(); os.fsync(f.fileno())
shutil.copy2("py/a/f.txt", "py/a/b/g.txt"); os.rename("py/a/b/g.txt", "py/a/h.txt")
os.chmod("py/a/h.txt", 0o600); os.utime("py/a/h.txt", (0, 0)); os.truncate("py/a/h.txt", 2)
os.symlink("f.txt", "py/a/s"); os.readlink("py/a/s"); os.link("py/a/f.txt", "py/a/l.txt")
print(os.statvfs("py"), os.lstat("py/a/s"), [e.name for e in os.scandir("py/a")], glob.glob("py/**", recursive=True))
shutil.move("py/a/l.txt", "py/m.txt"); os.unlink("py/m.txt"); shutil.rmtree("py")
PY
python3 -m json.tool /dev/null >/dev/null 2>&1; python3 -m compileall -q . >/dev/null
# node
if command -v node >/dev/null; then
node -e 'console.log(1)' >/dev/null
node -e "require('fs').readdirSync('/usr'); require('http').createServer().listen(0, function(){ this.close() })" >/dev/null
node -e "const http=require('http'); const s=http.createServer((q,r)=>r.end('ok')).listen(0,()=>http.get('http://127.0.0.1:'+s.address().port,(r)=>{r.resume(); r.on('end',()=>s.close())}))" >/dev/null
node -e "require('child_process').spawnSync('true'); require('zlib').gzipSync('x'); require('crypto').createHash('sha256').update('x').digest('hex'); require('dns').lookup('localhost', ()=>{})" >/dev/null
node -e "const {Worker}=require('worker_threads'); new Worker('1', {eval:true}).on('exit',()=>{})" >/dev/null
node -e "require('fs').promises.readdir('/etc').then(()=>require('fs').writeFileSync('n.txt','x'))" >/dev/null
node -e "const fs=require('fs'); fs.mkdirSync('nd/a', {recursive: true}); fs.writeFileSync('nd/a/f', 'x'); fs.appendFileSync('nd/a/f', 'y'); fs.copyFileSync('nd/a/f', 'nd/g'); fs.renameSync('nd/g', 'nd/h'); fs.chmodSync('nd/h', 0o600); fs.utimesSync('nd/h', 0, 0); fs.truncateSync('nd/h', 1); fs.symlinkSync('h', 'nd/s'); fs.readlinkSync('nd/s'); fs.lstatSync('nd/s'); fs.statSync('nd/h'); const fd=fs.openSync('nd/h', 'r+'); fs.fsyncSync(fd); fs.closeSync(fd); fs.readdirSync('nd', {withFileTypes: true}); fs.rmSync('nd', {recursive: true})" >/dev/null
node -e "const net=require('net'); const s=net.createServer(c=>c.end('x')).listen(0,()=>{const c=net.connect(s.address().port,'127.0.0.1'); c.on('data',()=>{}); c.on('end',()=>s.close())})" >/dev/null
node -e "require('child_process').exec('echo x', ()=>{}); setTimeout(()=>{}, 10); process.on('SIGTERM', ()=>{})" >/dev/null
fi
# busybox (static)
if command -v busybox >/dev/null; then
busybox sh -c 'echo hi | busybox wc -c; busybox ls -la / | busybox sort -r | busybox head -3' >/dev/null
busybox find /etc -maxdepth 1 -name 'host*' -exec busybox cat {} \; >/dev/null 2>&1
mkdir bb && echo x > bb/f && busybox tar czf bb.tgz bb && busybox tar xzf bb.tgz -C bb && busybox gzip -k bb/f
busybox sed -n 1p /etc/passwd >/dev/null && busybox awk -F: '{n++} END {print n}' /etc/passwd >/dev/null
busybox cp -a bb bb2 && busybox mv bb2 bb3 && busybox rm -rf bb bb3 bb.tgz && busybox date >/dev/null && busybox id >/dev/null
fi
# java (the launcher loads the JVM with dlopen)
if command -v java >/dev/null; then
java -version 2>/dev/null
command -v javac >/dev/null && java "$here/Hello.java" >/dev/null
fi
# sqlite3 on a file, xz, curl file:// and http://
command -v sqlite3 >/dev/null && sqlite3 db.sqlite 'create table t(a); insert into t values (1); select count(*) from t;' >/dev/null
command -v xz >/dev/null && seq 1000 > n.txt && xz -k n.txt && xz -dc n.txt.xz | wc -l >/dev/null
if command -v curl >/dev/null; then
curl -s file:///etc/hostname >/dev/null
python3 -m http.server -b 127.0.0.1 0 >srv.log 2>&1 &
srv=$!
for i in $(seq 50); do port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' srv.log); [ -n "$port" ] && break; sleep 0.1; done
[ -n "$port" ] && curl -s "http://127.0.0.1:$port/" >/dev/null
kill $srv; wait $srv 2>/dev/null
fi
exit 0
