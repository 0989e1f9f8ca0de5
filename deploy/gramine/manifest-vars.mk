# Values for attest402-facilitator.manifest.template, one source of truth for the Makefile and the manifest test
# (enclave-identity DeployManifestTest). Override on the make command line: make heap=4G enclave_size=16G.
# Changing any of them changes MRENCLAVE: clients pinning MRENCLAVE must pin the new value.

# Where the JDK lives in the image (Ubuntu/Debian openjdk-17-jre-headless).
java_home ?= /usr/lib/jvm/java-17-openjdk-amd64
# Multiarch library directory of the image.
arch_libdir ?= /lib/x86_64-linux-gnu
# The enclave artifact: attest402-facilitator.jar (Main-Class, Class-Path lib/) and lib/*.jar from
# enclave-facilitator/target/enclave.
app_dir ?= /app
# Sealed data directory inside the enclave (Gramine encrypted mount, MRENCLAVE-bound key).
data_dir ?= /data
# Host directory behind the encrypted mount.
data_host_dir ?= /var/lib/attest402
# Untrusted inputs whose integrity is checked by signatures (e.g. Intel collateral for the self-check).
config_dir ?= /config
# JVM heap; the enclave size below must hold heap + metaspace + code cache + thread stacks + ~1 GiB.
heap ?= 2G
# EPC reservation, a power of two (committed up front without EDMM).
enclave_size ?= 8G
# Enclave thread slots (OpenJDK needs at least 64 to start).
max_threads ?= 128
# CPUs the JVM sizes its pools for (GC, JIT, Vert.x event loops).
cpus ?= 4
# Java thread stack size.
thread_stack ?= 1M
# Port the facilitator listens on inside the enclave, on all interfaces (the host forwards to it).
port ?= 4020
bind_host ?= 0.0.0.0
# The URL payers reach the facilitator at; it is registered in ERC-8004 and, being in argv, measured.
public_url ?= https://facilitator.example.com
# The settlement journal (--store, measured in argv): the PostgreSQL database replicas share
# (postgresql://USER@HOST:PORT/DB, no password), or sqlite for the embedded journal in data_dir (one facilitator).
store ?= sqlite
# Where the database password is mounted (Kubernetes Secret attest402-db); an allowed, untrusted file.
store_secret_dir ?= /run/secrets/attest402-db
store_password_file ?= /run/secrets/attest402-db/password
# Gramine log level: none or error in production.
log_level ?= error
# ISV product id and security version written into SIGSTRUCT (clients may pin isvProdId and a minimum isvSvn).
isvprodid ?= 402
isvsvn ?= 1
