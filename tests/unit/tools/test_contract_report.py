# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract report counts validated responses and violations and names the spec operations used."""

# pylint: disable=redefined-outer-name

from __future__ import annotations

import json

import pytest

from tests.tools import contract_report

from tests.emulators.digitalocean.requestlog import RequestLog
from tests.tools.contract_report import SpecOperations, main, markdown, read_log, summarize

SPEC = {
    'openapi': '3.0.0',
    'paths': {
        '/v2/vpcs': {'get': {'operationId': 'vpcs_list'}, 'post': {'operationId': 'vpcs_create'}},
        '/v2/vpcs/{vpc_id}': {'get': {'operationId': 'vpcs_get'}, 'patch': {'operationId': 'vpcs_patch'},
                              'delete': {'operationId': 'vpcs_delete'}, 'parameters': [{'name': 'vpc_id'}]},
        '/v2/databases/options': {'get': {'operationId': 'databases_list_options'}},
        '/v2/databases/{database_cluster_uuid}': {'get': {'operationId': 'databases_get_cluster'}},
    },
}

ENTRIES = [
    {'method': 'GET', 'path': '/v2/vpcs', 'operation_id': 'vpcs_list', 'status': 200, 'contract_violation': None},
    {'method': 'POST', 'path': '/v2/vpcs', 'operation_id': 'vpcs_create', 'status': 201, 'contract_violation': None,
     'body': {'name': 'secret-body'}},
    # No operation_id recorded: matched through the path template.
    {'method': 'PATCH', 'path': '/v2/vpcs/5a4981aa-9653', 'status': 200, 'contract_violation': None},
    {'method': 'GET', 'path': '/v2/databases/options', 'status': 200, 'contract_violation': None},
    # A reset fault: matched, but no response was sent, so nothing was validated.
    {'method': 'POST', 'path': '/v2/vpcs', 'operation_id': 'vpcs_create', 'status': None, 'contract_violation': None},
    # Outside the spec: a 404 nobody validated.
    {'method': 'GET', 'path': '/v2/droplets', 'operation_id': None, 'status': 404, 'contract_violation': None},
]


@pytest.fixture
def spec():
    return SpecOperations(SPEC)


def test_concrete_paths_map_to_their_template_literal_segments_first(spec):
    assert spec.match('GET', '/v2/databases/options') == 'databases_list_options'
    assert spec.match('GET', '/v2/databases/9cc10173-e9ea') == 'databases_get_cluster'
    assert spec.match('delete', '/v2/vpcs/abc/') == 'vpcs_delete'
    assert spec.match('PUT', '/v2/vpcs/abc') is None
    assert spec.match('GET', '/v2/vpcs/abc/members') is None


def test_summary_counts_validated_responses_unmatched_requests_and_used_operations(spec):
    summary = summarize(ENTRIES, spec)
    assert summary['total'] == 6
    assert summary['validated'] == 4
    assert summary['no_response'] == 1
    assert round(summary['validated_percent'], 1) == 66.7
    assert [entry['path'] for entry in summary['unmatched']] == ['/v2/droplets']
    assert summary['violations'] == []
    assert summary['used'] == {'vpcs_list': 1, 'vpcs_create': 2, 'vpcs_patch': 1, 'databases_list_options': 1}
    assert summary['unused'] == ['databases_get_cluster', 'vpcs_delete', 'vpcs_get']


def test_markdown_lists_counts_and_each_used_operation_with_method_and_template(spec):
    text = markdown(summarize(ENTRIES, spec), spec)
    assert '- Requests the test suite sent to the DigitalOcean emulator: 6' in text
    assert '- Responses validated against the OpenAPI spec: 4 (66.7 %)' in text
    assert '- Contract violations: 0' in text
    assert 'got no response (connection reset by a fault, nothing to validate): 1' in text
    assert '- Spec operations used: 4 of 7; unused: 3' in text
    assert '| PATCH | `/v2/vpcs/{vpc_id}` | `vpcs_patch` | 1 |' in text
    assert '| POST | `/v2/vpcs` | `vpcs_create` | 2 |' in text
    assert '- `GET /v2/droplets`' in text
    assert 'vpcs_delete' not in text


def append_log(path, entries):
    """What an emulator started with a contract log does with each request it logs."""
    log = RequestLog(contract_log=path)
    for entry in entries:
        log.append(dict(entry))


def test_the_emulators_contract_log_keeps_no_request_body_outlives_clears_and_round_trips(tmp_path):
    path = str(tmp_path / 'contract.jsonl')
    append_log(path, ENTRIES[:2])
    first = RequestLog(contract_log=path)
    first.append(dict(ENTRIES[2]))
    first.clear()  # a test's reset: the emulator forgets, the contract log keeps
    append_log(path, ENTRIES[3:])
    assert 'secret-body' not in (tmp_path / 'contract.jsonl').read_text()
    entries = read_log(path)
    assert len(entries) == 6
    assert entries[1] == {'method': 'POST', 'path': '/v2/vpcs', 'operation_id': 'vpcs_create', 'status': 201, 'contract_violation': None,
                          'fault': None}


def test_the_report_counts_the_faults_injected(spec):
    entries = ENTRIES + [{'method': 'GET', 'path': '/v2/vpcs', 'operation_id': 'vpcs_list', 'status': 429, 'contract_violation': None,
                          'fault': '429'}]
    summary = summarize(entries, spec)
    assert summary['faults'] == {'429': 1}
    assert 'Faults the fault suites injected (answered or dropped on purpose, each still checked like any answer): 429: 1' in markdown(summary, spec)


def test_write_docs_replaces_only_the_contract_section(tmp_path, monkeypatch):
    doc = tmp_path / 'reliability.md'
    doc.write_text('# Reliability\n\n<!-- bench:faults -->\nkept\n<!-- /bench:faults -->\n\n<!-- bench:contract -->\nold\n<!-- /bench:contract -->\n')
    spec_path = tmp_path / 'spec.json'
    spec_path.write_text(json.dumps(SPEC))
    log = str(tmp_path / 'contract.jsonl')
    append_log(log, ENTRIES)
    monkeypatch.setattr(contract_report, 'RELIABILITY_DOC', str(doc))
    assert main(['--log', log, '--spec', str(spec_path), '--write-docs']) == 0
    text = doc.read_text()
    assert 'kept' in text and 'old' not in text
    assert '- Requests the test suite sent to the DigitalOcean emulator: 6' in text
    assert text.count('<!-- bench:contract -->') == 1


def test_cli_writes_the_report_and_fails_on_a_violation(tmp_path, capsys):
    spec_path = tmp_path / 'spec.json'
    spec_path.write_text(json.dumps(SPEC))
    log = str(tmp_path / 'contract.jsonl')
    append_log(log, ENTRIES)
    output = tmp_path / 'report.md'
    assert main(['--log', log, '--spec', str(spec_path), '--output', str(output)]) == 0
    assert output.read_text() == capsys.readouterr().out
    append_log(log, [{'method': 'GET', 'path': '/v2/vpcs/1', 'operation_id': 'vpcs_get', 'status': 500,
                      'contract_violation': 'vpcs_get 200: body.vpc: required'}])
    assert main(['--log', log, '--spec', str(spec_path)]) == 1
    text = capsys.readouterr().out
    assert '- Contract violations: 1' in text and 'vpcs_get 200: body.vpc: required' in text


def test_a_missing_spec_is_an_error_not_a_skip(tmp_path):
    with pytest.raises(FileNotFoundError, match='spec not found'):
        SpecOperations.load(str(tmp_path / 'missing.json'))
