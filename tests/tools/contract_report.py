# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract report: what the test suite sent to the DigitalOcean emulator, checked against the OpenAPI spec.

When ``FEDIOPS_CONTRACT_LOG`` names a file, every DigitalOcean emulator the test suite starts appends one
JSON line per API request to it (method, path, operation_id, status, contract_violation, fault; never a
body: tests/emulators/digitalocean/requestlog.py), whichever test, fixture, Molecule scenario or pytest
worker sent it. ``make integration`` sets it. This tool reads that file and the spec (``FEDIOPS_DO_OPENAPI_SPEC``, else
``<repo>/../shared/digitalocean/openapi-subset.json``) and prints a Markdown section:

* total requests, how many responses were validated against the spec (count and %),
* contract violations (must be 0; the exit status is 1 otherwise),
* the spec operations the collection used (method, path template, operationId) and how many it did not.

A response is validated when the request matched a spec operation (the emulator then checks every
answer it sends against the contract) and a response was produced (a ``reset`` fault sends none).

    python -m tests.tools.contract_report [--log FILE] [--spec FILE] [--output FILE] [--write-docs]

``--write-docs`` also puts the section into docs/reliability.md (between ``<!-- bench:contract -->`` markers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from tests.benchmarks.common import stamp, write_section

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HTTP_METHODS = ('get', 'put', 'post', 'patch', 'delete', 'head', 'options')
RELIABILITY_DOC = os.path.join(REPO_ROOT, 'docs', 'reliability.md')


def default_spec_path(environ=None):
    """The spec named by FEDIOPS_DO_OPENAPI_SPEC, else the shared copy beside the repository."""
    environ = os.environ if environ is None else environ
    return environ.get('FEDIOPS_DO_OPENAPI_SPEC') or os.path.join(os.path.dirname(REPO_ROOT), 'shared', 'digitalocean', 'openapi-subset.json')


def read_log(path):
    """The entries of a JSON-lines log; blank lines are skipped."""
    entries = []
    with open(path, encoding='utf-8') as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    entries.append(json.loads(line))
                except ValueError as exc:
                    raise ValueError('%s line %d is not JSON: %s' % (path, number, exc)) from exc
    return entries


class SpecOperations:
    """The spec's operations: operationId -> (METHOD, path template), and matching of concrete paths."""

    def __init__(self, document):
        self.operations = {}
        self._routes = []
        for template, item in sorted(document.get('paths', {}).items()):
            pattern = re.compile('^' + re.sub(r'\\\{[^}]+\\\}', '[^/]+', re.escape(template)) + '$')
            for method, operation in item.items():
                if method in HTTP_METHODS and isinstance(operation, dict) and operation.get('operationId'):
                    self.operations[operation['operationId']] = (method.upper(), template)
                    self._routes.append((method.upper(), pattern, template.count('{'), operation['operationId']))
        # Literal segments win over parameters (/v2/databases/options before /v2/databases/{uuid}).
        self._routes.sort(key=lambda route: route[2])

    @classmethod
    def load(cls, path):
        if not os.path.isfile(path):
            raise FileNotFoundError('DigitalOcean OpenAPI spec not found at %s' % path)
        with open(path, encoding='utf-8') as handle:
            return cls(json.load(handle))

    def match(self, method, path):
        """The operationId of ``method path`` (a concrete path such as /v2/vpcs/123), or None."""
        path = (path or '').split('?', 1)[0]
        if len(path) > 1:
            path = path.rstrip('/')
        for route_method, pattern, dummy, operation_id in self._routes:
            if route_method == (method or '').upper() and pattern.match(path):
                return operation_id
        return None


def summarize(entries, spec):
    """Counts and operations of a request log against the spec (a dict the Markdown is made from)."""
    used = {}
    faults = {}
    validated = 0
    no_response = 0
    unmatched = []
    violations = []
    for entry in entries:
        operation_id = entry.get('operation_id') or spec.match(entry.get('method'), entry.get('path'))
        if entry.get('contract_violation'):
            violations.append(entry)
        if entry.get('fault'):
            faults[entry['fault']] = faults.get(entry['fault'], 0) + 1
        if operation_id is None or operation_id not in spec.operations:
            unmatched.append(entry)
            continue
        used[operation_id] = used.get(operation_id, 0) + 1
        if entry.get('status') is not None:
            validated += 1
        else:
            no_response += 1
    total = len(entries)
    return {
        'total': total,
        'validated': validated,
        'validated_percent': 100.0 * validated / total if total else 0.0,
        'no_response': no_response,
        'unmatched': unmatched,
        'violations': violations,
        'faults': faults,
        'used': used,
        'unused': sorted(set(spec.operations) - set(used)),
    }


def markdown(summary, spec):
    """The report section."""
    lines = ['### DigitalOcean API contract', '']
    lines.append('- Requests the test suite sent to the DigitalOcean emulator: %d' % summary['total'])
    lines.append('- Responses validated against the OpenAPI spec: %d (%.1f %%)' % (summary['validated'], summary['validated_percent']))
    lines.append('- Requests in the spec that got no response (connection reset by a fault, nothing to validate): %d' % summary['no_response'])
    lines.append('- Requests outside the spec (not validated): %d' % len(summary['unmatched']))
    lines.append('- Contract violations: %d' % len(summary['violations']))
    lines.append('- Faults the fault suites injected (answered or dropped on purpose, each still checked like any answer): %s'
                 % (', '.join('%s: %d' % pair for pair in sorted(summary['faults'].items())) or 'none'))
    lines.append('- Spec operations used: %d of %d; unused: %d' % (len(summary['used']), len(spec.operations), len(summary['unused'])))
    if summary['violations']:
        lines += ['', '#### Contract violations', '']
        for entry in summary['violations']:
            lines.append('- `%s %s` (%s): %s' % (entry.get('method'), entry.get('path'), entry.get('status'), entry.get('contract_violation')))
    if summary['unmatched']:
        lines += ['', '#### Requests outside the spec', '']
        seen = sorted({(entry.get('method') or '', entry.get('path') or '') for entry in summary['unmatched']})
        lines += ['- `%s %s`' % pair for pair in seen]
    lines += ['', '#### Spec operations used', '', '| Method | Path | operationId | Requests |', '|---|---|---|---|']
    for operation_id in sorted(summary['used'], key=lambda op: (spec.operations[op][1], spec.operations[op][0])):
        method, template = spec.operations[operation_id]
        lines.append('| %s | `%s` | `%s` | %d |' % (method, template, operation_id, summary['used'][operation_id]))
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--log', default=os.environ.get('FEDIOPS_CONTRACT_LOG'), help='JSON-lines request log (default: $FEDIOPS_CONTRACT_LOG)')
    parser.add_argument('--spec', default=default_spec_path(), help='OpenAPI spec (default: $FEDIOPS_DO_OPENAPI_SPEC or the shared copy)')
    parser.add_argument('--output', help='also write the Markdown to this file')
    parser.add_argument('--write-docs', action='store_true', help='also put the section into docs/reliability.md')
    args = parser.parse_args(argv)
    if not args.log:
        parser.error('no log: pass --log or set FEDIOPS_CONTRACT_LOG')
    spec = SpecOperations.load(args.spec)
    summary = summarize(read_log(args.log), spec)
    text = markdown(summary, spec)
    if args.write_docs:
        write_section(RELIABILITY_DOC, 'contract', stamp() + '\n\n' + text, 'Reliability')
    sys.stdout.write(text)
    if args.output:
        with open(args.output, 'w', encoding='utf-8') as handle:
            handle.write(text)
    return 1 if summary['violations'] else 0


if __name__ == '__main__':
    sys.exit(main())
