from conftest import Reg


def test_populated_lists(populated: Reg) -> None:
    r = populated.cli_process("list")  # the entry point, in a process of its own
    assert r.code == 0, r.err
    assert "fraud  1.2.0    development" in r.out
