"""schemathesis against the served OpenAPI schema: for every operation, generated requests (valid and
invalid data; path ids from the sample study in half of them) get no server error (5xx). Bounded: a few
examples per operation and mode, so the whole run stays well under a minute."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

EXAMPLES = 6


def test_no_server_errors(sample_dir):
    from landcarbon.web import Settings, create_app
    from landcarbon.web.tiles import layers_of

    app = create_app(Settings(catalog=str(sample_dir)))
    layers = [la.id for la in layers_of(app.state.service, "county")]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    real = {"study": "county", "model": "balance", "layer": layers[0], "scheme": "national6"}
    ran, failures = 0, []
    for result in schema.get_all_operations():
        op = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=op.as_strategy(generation_mode=mode), use_real=st.booleans())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def run(case, use_real):
                nonlocal ran
                if use_real and isinstance(case.path_parameters, dict):
                    for k in case.path_parameters:
                        if k in real:
                            case.path_parameters[k] = real[k]
                ran += 1
                try:
                    case.call_and_validate(checks=[not_a_server_error])
                except Exception as err:  # collect, report all at the end
                    failures.append(f"{op.label} [{mode.value}]: {type(err).__name__}: {str(err)[:300]}")  # noqa: B023
                    raise

            try:
                run()
            except Exception:
                pass
    assert ran > 100
    assert not failures, "\n".join(failures)
