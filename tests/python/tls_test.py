"""Mutual TLS end to end: identities come from client certificates' URI SANs.

Makes a throwaway CA and certificates with the openssl CLI, starts the real binary with
--tls_cert/--tls_key/--tls_ca and a trusted front end, and checks who may do what. The same
server has a plaintext --health_port for Kubernetes probes, which must serve health alone.
"""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
from fs_support import eventually, free_ports  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fsgrpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

SERVER = os.path.join(BUILD, "services", "case_records", "case_records_server")
SERVING = health_pb2.HealthCheckResponse.SERVING


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_cert(directory, name, san):
    """Key and certificate `name` signed by the CA in `directory`, with the given SAN."""
    ext = os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth,clientAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", ext,
            cwd=directory)


def make_ca(directory):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "2", "-subj", "/CN=fs-test-ca", cwd=directory)


def tls_server_args(directory, *extra):
    """case_records with mutual TLS from the certificates in `directory`."""
    admin = os.environ["FS_TEST_DB_URL"]
    d = directory
    return [SERVER,
            "--db_url=" + admin.replace("postgres@", "fs_case_records_app@", 1),
            "--migration_db_url=" + admin.replace("postgres@", "fs_case_records@", 1),
            f"--tls_cert={d}/server.crt", f"--tls_key={d}/server.key", f"--tls_ca={d}/ca.crt",
            *extra]


def read(directory, name):
    with open(os.path.join(directory, name), "rb") as f:
        return f.read()


class MutualTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        make_ca(d)
        make_cert(d, "server", "DNS:localhost,URI:spiffe://fs.local/service/case_records")
        make_cert(d, "nhs", "URI:spiffe://fs.local/partner/nhs/RXH")
        make_cert(d, "portal", "URI:spiffe://fs.local/service/portal")
        make_cert(d, "other", "URI:spiffe://fs.local/service/other")
        make_cert(d, "practitioner", "URI:spiffe://fs.local/practitioner/sw-direct")
        make_cert(d, "foreign", "URI:spiffe://elsewhere.example/partner/nhs/RXH")
        cls.port, cls.health_port = free_ports(2)
        cls.log = open(os.path.join(BUILD, "tls_test_server.log"), "w")
        cls.server = subprocess.Popen(
            cls.server_args(f"--grpc_port={cls.port}", "--metrics_port=0",
                            f"--health_port={cls.health_port}", "--health_check_interval=200ms"),
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.channels = []

    @classmethod
    def server_args(cls, *extra):
        return tls_server_args(cls.tmp.name, "--trusted_frontends=portal", *extra)

    @classmethod
    def tearDownClass(cls):
        for channel in cls.channels:
            channel.close()
        cls.server.terminate()
        cls.server.wait(timeout=15)
        cls.log.close()
        cls.tmp.cleanup()

    def channel(self, client=None):
        d = self.tmp.name
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read(d, "ca.crt"),
            private_key=read(d, f"{client}.key") if client else None,
            certificate_chain=read(d, f"{client}.crt") if client else None)
        channel = grpc.secure_channel(f"localhost:{self.port}", credentials)
        self.channels.append(channel)
        grpc.channel_ready_future(channel).result(timeout=30) if client else None
        return channel

    def plaintext(self, port):
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.channels.append(channel)
        return channel

    def health_status(self, channel, service=""):
        """The health answer for `service`, or the RPC's error code."""
        try:
            return health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=5).status
        except grpc.RpcError as e:
            return e.code()

    def code(self, call):
        with self.assertRaises(grpc.RpcError) as error:
            call()
        return error.exception.code()

    def test_nhs_partner_certificate_may_look_up_and_nothing_else(self):
        channel = self.channel("nhs")
        answer = rpc.ChildProtectionInformationServiceStub(channel).LookupChildProtectionStatus(
            pb.LookupChildProtectionStatusRequest(nhs_number="9434765919"), timeout=10)
        self.assertFalse(answer.information_held)
        self.assertEqual(answer.recent_accesses[0].organisation, "RXH")
        cases = rpc.CaseRecordsServiceStub(channel)
        self.assertEqual(self.code(lambda: cases.ListCases(pb.ListCasesRequest(), timeout=10)),
                         grpc.StatusCode.PERMISSION_DENIED)
        # A partner cannot claim to be a practitioner by metadata.
        self.assertEqual(self.code(lambda: cases.ListCases(
            pb.ListCasesRequest(), timeout=10,
            metadata=[("x-fs-principal", "spiffe://fs.local/practitioner/sw1"),
                      ("x-fs-role", "team_manager")])), grpc.StatusCode.PERMISSION_DENIED)

    def test_trusted_front_end_acts_for_a_practitioner(self):
        cases = rpc.CaseRecordsServiceStub(self.channel("portal"))
        md = [("x-fs-principal", "spiffe://fs.local/practitioner/sw-tls"),
              ("x-fs-role", "social_worker"), ("x-fs-team", "tls-team")]
        created = cases.CreateCase(pb.CreateCaseRequest(case=pb.Case(
            referral_date="2026-10-05", referral_source="6", team="tls-team",
            lead_social_worker="sw-tls")), metadata=md, timeout=10)
        fetched = cases.GetCase(pb.GetCaseRequest(name=created.name), metadata=md, timeout=10)
        self.assertEqual(fetched.lead_social_worker, "sw-tls")
        # The front end itself, acting for nobody, is not a practitioner.
        self.assertEqual(self.code(lambda: cases.GetCase(pb.GetCaseRequest(name=created.name),
                                                         timeout=10)),
                         grpc.StatusCode.PERMISSION_DENIED)

    def test_untrusted_service_cannot_act_for_a_practitioner(self):
        cases = rpc.CaseRecordsServiceStub(self.channel("other"))
        md = [("x-fs-principal", "spiffe://fs.local/practitioner/sw-tls"),
              ("x-fs-role", "team_manager"), ("x-fs-team", "tls-team")]
        self.assertEqual(self.code(lambda: cases.ListCases(pb.ListCasesRequest(), metadata=md,
                                                           timeout=10)),
                         grpc.StatusCode.PERMISSION_DENIED)

    def test_practitioner_certificate_must_come_through_a_front_end(self):
        cases = rpc.CaseRecordsServiceStub(self.channel("practitioner"))
        self.assertEqual(self.code(lambda: cases.ListCases(
            pb.ListCasesRequest(), metadata=[("x-fs-role", "team_manager")], timeout=10)),
            grpc.StatusCode.PERMISSION_DENIED)

    def test_certificate_from_another_trust_domain_is_unauthenticated(self):
        nhs = rpc.ChildProtectionInformationServiceStub(self.channel("foreign"))
        self.assertEqual(self.code(lambda: nhs.LookupChildProtectionStatus(
            pb.LookupChildProtectionStatusRequest(nhs_number="9434765919"), timeout=10)),
            grpc.StatusCode.UNAUTHENTICATED)

    def test_client_without_certificate_is_refused(self):
        nhs = rpc.ChildProtectionInformationServiceStub(self.channel(None))
        self.assertEqual(self.code(lambda: nhs.LookupChildProtectionStatus(
            pb.LookupChildProtectionStatusRequest(nhs_number="9434765919"), timeout=10)),
            grpc.StatusCode.UNAVAILABLE)

    def test_health_port_answers_probes_in_plaintext(self):
        health = self.plaintext(self.health_port)
        # The database is up: once the first probe is done, all say SERVING.
        named = "fs.cases.v1.CaseRecordsService"
        self.assertTrue(eventually(lambda: self.health_status(health, named) == SERVING),
                        f"{named} on the health port: {self.health_status(health, named)}")
        self.assertEqual(self.health_status(health, ""), SERVING)
        self.assertEqual(self.health_status(health, "fs.cases.v1.ChildProtectionInformationService"),
                         SERVING)
        # "liveness" (Kubernetes liveness probes) says whether the process answers at all.
        self.assertEqual(self.health_status(health, "liveness"), SERVING)
        # It mirrors the main server's services, not any name at all.
        self.assertEqual(self.health_status(health, "fs.nowhere.v1.Nothing"),
                         grpc.StatusCode.NOT_FOUND)

    def test_health_port_serves_no_api(self):
        channel = self.plaintext(self.health_port)
        self.assertTrue(eventually(lambda: self.health_status(channel) == SERVING))
        cases = rpc.CaseRecordsServiceStub(channel)
        self.assertEqual(self.code(lambda: cases.ListCases(pb.ListCasesRequest(), timeout=10)),
                         grpc.StatusCode.UNIMPLEMENTED)
        # Claiming an identity in metadata over plaintext gets no further.
        md = [("x-fs-principal", "spiffe://fs.local/practitioner/sw-tls"),
              ("x-fs-role", "team_manager"), ("x-fs-team", "tls-team")]
        self.assertEqual(self.code(lambda: cases.CreateCase(pb.CreateCaseRequest(case=pb.Case(
            referral_date="2026-10-05", referral_source="6", team="tls-team",
            lead_social_worker="sw-tls")), metadata=md, timeout=10)),
            grpc.StatusCode.UNIMPLEMENTED)
        nhs = rpc.ChildProtectionInformationServiceStub(channel)
        self.assertEqual(self.code(lambda: nhs.LookupChildProtectionStatus(
            pb.LookupChildProtectionStatusRequest(nhs_number="9434765919"), timeout=10)),
            grpc.StatusCode.UNIMPLEMENTED)

    def test_main_port_still_refuses_plaintext(self):
        # The server is up (the health port says so) ...
        self.assertTrue(eventually(
            lambda: self.health_status(self.plaintext(self.health_port)) == SERVING))
        # ... but its own port speaks only TLS, health included.
        main = self.plaintext(self.port)
        self.assertEqual(self.health_status(main), grpc.StatusCode.UNAVAILABLE)
        cases = rpc.CaseRecordsServiceStub(main)
        self.assertEqual(self.code(lambda: cases.ListCases(pb.ListCasesRequest(), timeout=5)),
                         grpc.StatusCode.UNAVAILABLE)

    def test_bad_health_port_is_refused_with_exit_code_2(self):
        grpc_port, metrics_port = free_ports(2)
        for bad, why in [(grpc_port, "the gRPC port"), (metrics_port, "the metrics port"),
                         (70000, "out of range"), (-1, "negative")]:
            with self.subTest(why=why):
                result = subprocess.run(
                    self.server_args(f"--grpc_port={grpc_port}",
                                     f"--metrics_port={metrics_port}", f"--health_port={bad}"),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn("--health_port", result.stderr)




class CertificateRenewalTest(unittest.TestCase):
    """A certificate renewed in place (as cert-manager renews a mounted Secret) is served
    without a restart, and calls go on working."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        make_ca(d)
        make_cert(d, "server", "DNS:localhost,URI:spiffe://fs.local/service/case_records")
        make_cert(d, "nhs", "URI:spiffe://fs.local/partner/nhs/RXH")
        (cls.port,) = free_ports(1)
        cls.log = open(os.path.join(BUILD, "tls_renewal_test_server.log"), "w")
        cls.server = subprocess.Popen(
            tls_server_args(d, f"--grpc_port={cls.port}", "--metrics_port=0",
                            "--tls_reload_interval=1s"),
            stdout=cls.log, stderr=subprocess.STDOUT)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=15)
        cls.log.close()
        cls.tmp.cleanup()

    def served_certificate(self):
        """The DER certificate the server presents now (None while it does not answer)."""
        d = self.tmp.name
        context = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
        context.load_cert_chain(os.path.join(d, "nhs.crt"), os.path.join(d, "nhs.key"))
        context.set_alpn_protocols(["h2"])
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    return tls.getpeercert(binary_form=True)
        except OSError:
            return None

    def der(self, name):
        return ssl.PEM_cert_to_DER_cert(read(self.tmp.name, name).decode())

    def lookup_works(self):
        d = self.tmp.name
        channel = grpc.secure_channel(f"localhost:{self.port}", grpc.ssl_channel_credentials(
            root_certificates=read(d, "ca.crt"), private_key=read(d, "nhs.key"),
            certificate_chain=read(d, "nhs.crt")))
        try:
            answer = rpc.ChildProtectionInformationServiceStub(
                channel).LookupChildProtectionStatus(
                    pb.LookupChildProtectionStatusRequest(nhs_number="9434765919"), timeout=10)
            return answer.recent_accesses[0].organisation == "RXH"
        finally:
            channel.close()

    def test_a_renewed_certificate_is_served_without_a_restart(self):
        d = self.tmp.name
        first = self.der("server.crt")
        self.assertEqual(eventually(self.served_certificate), first)
        self.assertTrue(self.lookup_works())
        make_cert(d, "renewed", "DNS:localhost,URI:spiffe://fs.local/service/case_records")
        renewed = self.der("renewed.crt")
        self.assertNotEqual(renewed, first)
        # Replaced as a mounted Secret is: new files in place of the old.
        os.replace(os.path.join(d, "renewed.key"), os.path.join(d, "server.key"))
        os.replace(os.path.join(d, "renewed.crt"), os.path.join(d, "server.crt"))
        self.assertTrue(eventually(lambda: self.served_certificate() == renewed, seconds=60),
                        "the server still presents the old certificate")
        self.assertIsNone(self.server.poll(), "the server restarted or stopped")
        self.assertTrue(self.lookup_works())


if __name__ == "__main__":
    unittest.main()
