# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto's server (S3 for Spaces, SES, IAM, STS) over HTTPS with the sandbox's request log.

moto implements the services; this module adds what our tests need around it: TLS with the
sandbox CA, 127.0.0.1 only, a ready file for the launcher, and the `/_emulator/` control API
shared by every stand-in (request log with a `write` flag, reset, state).
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

CREDENTIAL_SCOPE = re.compile(r'Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request')
READ_ACTION_PREFIXES = ('Get', 'List', 'Describe')
S3_WRITE_METHODS = frozenset(('PUT', 'POST', 'DELETE'))


def classify(method, headers, query, form):
    """Return (service, region, action, write) for one AWS request.

    Query APIs (SES v1, IAM, STS) name their action in the form body or query string; reads are
    the Get*/List*/Describe* actions. REST APIs (S3, SES v2) write with PUT, POST and DELETE.
    """
    match = CREDENTIAL_SCOPE.search(headers.get('Authorization', ''))
    service = match.group('service') if match else None
    region = match.group('region') if match else None
    action = (form.get('Action') or query.get('Action') or [None])[0]
    if action:
        write = not action.startswith(READ_ACTION_PREFIXES)
    else:
        write = method in S3_WRITE_METHODS
    return service, region, action, write


class RequestLog:
    """Thread-safe, append-only log of the AWS requests the stand-in answered."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._seq = 0

    def append(self, entry):
        with self._lock:
            self._seq += 1
            entry['seq'] = self._seq
            self._entries.append(entry)

    def entries(self, since=0):
        with self._lock:
            return [dict(entry) for entry in self._entries if entry['seq'] > since]

    def clear(self):
        with self._lock:
            self._entries = []


def moto_state():
    """What the tests assert on: buckets (with CORS) and SES identities in every region."""
    # pylint: disable=import-outside-toplevel
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.ses.models import ses_backends

    s3 = s3_backends[DEFAULT_ACCOUNT_ID]['aws']
    buckets = []
    for name, bucket in sorted(s3.buckets.items()):
        buckets.append({
            'name': name,
            'region': bucket.region_name,
            'objects': sorted(bucket.keys.keys()),
            'cors': [rule.__dict__ for rule in bucket.cors] if bucket.cors else [],
        })
    identities = []
    for region, backend in sorted(ses_backends[DEFAULT_ACCOUNT_ID].items()):
        for identity in sorted(backend.list_identities(None)):
            identities.append({'region': region, 'identity': identity})
    return {'s3_buckets': buckets, 'ses_identities': identities}


# IAM actions moto 5.2.5 does not implement, answered as AWS does for a user without such credentials
# (amazon.aws.iam_user state=absent lists them before it deletes the user).
IAM_EMPTY_LISTS = {
    'ListServiceSpecificCredentials': (
        '<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        '<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials/></ListServiceSpecificCredentialsResult>'
        '<ResponseMetadata><RequestId>fediops-sandbox</RequestId></ResponseMetadata>'
        '</ListServiceSpecificCredentialsResponse>'),
}


class AwsEmulatorApp:
    """WSGI app: the control API, then moto's dispatcher, with every AWS request logged."""

    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.log = RequestLog()

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path.startswith('/_emulator/'):
            return self.control(Request(environ))(environ, start_response)
        request = Request(environ, shallow=False)
        body = request.get_data(cache=True)
        form = parse_qs(body.decode('utf-8', 'replace')) if request.mimetype == 'application/x-www-form-urlencoded' else {}
        service, region, action, write = classify(request.method, request.headers, parse_qs(request.query_string.decode()), form)
        environ['wsgi.input'] = _Replay(body)
        status = {}

        def recording_start_response(status_line, headers, exc_info=None):
            status['code'] = int(status_line.split(' ', 1)[0])
            return start_response(status_line, headers, exc_info)

        if service == 'iam' and action in IAM_EMPTY_LISTS:
            result = Response(IAM_EMPTY_LISTS[action], mimetype='text/xml')(environ, recording_start_response)
        else:
            result = self.moto(environ, recording_start_response)
        self.log.append({
            'time': time.time(), 'method': request.method, 'path': path, 'query': request.query_string.decode(),
            'service': service, 'region': region, 'action': action, 'write': write, 'status': status.get('code'),
        })
        return result

    def control(self, request):
        """The /_emulator/ control API (outside AWS's API)."""
        route = (request.method, request.path)
        if route == ('GET', '/_emulator/requests'):
            return _json(self.log.entries(int(request.args.get('since', 0))))
        if route == ('DELETE', '/_emulator/requests'):
            self.log.clear()
            return _json({'status': 'ok'})
        if route == ('POST', '/_emulator/reset'):
            from moto.moto_api._internal.models import moto_api_backend  # pylint: disable=import-outside-toplevel
            moto_api_backend.reset()
            self.log.clear()
            return _json({'status': 'ok'})
        if route == ('GET', '/_emulator/state'):
            return _json(moto_state())
        return _json({'id': 'not_found', 'message': 'no control endpoint %s %s' % route}, 404)


class _Replay:
    """A wsgi.input that serves a body already read, for moto to read again."""

    def __init__(self, body):
        self._body = body
        self._offset = 0

    def read(self, size=-1):
        if size is None or size < 0:
            size = len(self._body) - self._offset
        chunk = self._body[self._offset:self._offset + size]
        self._offset += len(chunk)
        return chunk

    def readline(self, size=-1):
        end = self._body.find(b'\n', self._offset)
        end = len(self._body) if end < 0 else end + 1
        if size is not None and size >= 0:
            end = min(end, self._offset + size)
        chunk = self._body[self._offset:end]
        self._offset = end
        return chunk


def _json(data, status=200):
    return Response(json.dumps(data, default=str), status=status, mimetype='application/json')


class AwsEmulatorServer:
    """The stand-in in a background thread: `with AwsEmulatorServer(...) as server: server.url`."""

    def __init__(self, host='127.0.0.1', port=0, certfile=None, keyfile=None):
        if host != '127.0.0.1':
            raise ValueError('the AWS stand-in listens on 127.0.0.1 only, not %r' % host)
        if not (certfile and keyfile):
            raise ValueError('the AWS stand-in speaks HTTPS only: certfile and keyfile are required')
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self.app = AwsEmulatorApp()
        self._server = make_server(host, port, self.app, threaded=True, request_handler=MotoRequestHandler, ssl_context=context)
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return 'https://%s:%d' % (host, port)

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name='aws-stand-in', daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._server.serve_forever()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
