"""Accounts: CSV import (all or nothing), phone normalisation and caller-ID lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.policy import AccountFormat
from store.accounts import POLICY_K_NUMBER, find_account_by_phone, get_account, import_accounts_csv
from store.db import SessionMaker
from store.errors import CsvImportError, CsvProblem

from .helpers import T0

GOOD = """k_number,name,phones
K123456,North Clinic,(617) 253-1000; +1 202 555 0143
k2345,"Imaging, South",
K7654321,Radiology Partners,+44 20 7946 0958
"""


def test_k_numbers_are_read_by_the_policys_format() -> None:
    # One reading of a K#, the domain's: the importer has no pattern of its own.
    assert AccountFormat() == POLICY_K_NUMBER
    assert POLICY_K_NUMBER.normalise(" k123456 ") == "K123456"
    assert POLICY_K_NUMBER.normalise("K123") is None
    assert POLICY_K_NUMBER.normalise("K12345678901") is None


async def test_good_csv_is_imported(session_maker: SessionMaker) -> None:
    assert await import_accounts_csv(session_maker, GOOD, now=T0) == 3
    async with session_maker() as session:
        north = await get_account(session, k_number="K123456")
        south = await get_account(session, k_number="K2345")
        uk = await get_account(session, k_number="K7654321")
    assert north is not None and south is not None and uk is not None
    assert north.name == "North Clinic"
    assert north.phones == ["+12025550143", "+16172531000"]
    assert north.created_at == T0
    assert south.name == "Imaging, South"
    assert south.phones == []
    assert uk.phones == ["+442079460958"]


async def test_csv_file_path_is_read(session_maker: SessionMaker, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(GOOD, encoding="utf-8-sig")  # spreadsheet exports start with a BOM
    assert await import_accounts_csv(session_maker, path) == 3


async def test_reimport_updates_name_and_phones(session_maker: SessionMaker) -> None:
    await import_accounts_csv(session_maker, GOOD, now=T0)
    await import_accounts_csv(session_maker, "k_number,name,phones\nK123456,North Clinic Inc,617 253 1001\n")
    async with session_maker() as session:
        north = await get_account(session, k_number="K123456")
        assert await find_account_by_phone(session, e164="+16172531000") is None
    assert north is not None
    assert north.name == "North Clinic Inc"
    assert north.phones == ["+16172531001"]
    assert north.created_at == T0


async def test_bad_rows_are_all_reported_and_nothing_is_imported(session_maker: SessionMaker) -> None:
    text = (
        "k_number,name,phones\n"
        "K123456,North Clinic,6172531000\n"  # line 2: fine
        "K12,Tiny,\n"  # line 3: bad K#
        "K222222,,\n"  # line 4: missing name
        "K333333,Bad Phone,617 253 1000;555-1234\n"  # line 5: bad phone
        "\n"  # line 6: blank, skipped
        "k123456,Again,\n"  # line 7: duplicate K#
        "K444444,Short\n"  # line 8: too few fields
        '"K555555","multi\nline",banana\n'  # lines 9-10: bad phone, reported on line 9
    )
    with pytest.raises(CsvImportError) as caught:
        await import_accounts_csv(session_maker, text)
    assert caught.value.problems == (
        CsvProblem(3, "bad K# 'K12' (expected K[0-9]{4,10})"),
        CsvProblem(4, "missing name"),
        CsvProblem(5, "bad phone number '555-1234'"),
        CsvProblem(7, "duplicate K# K123456 (first on line 2)"),
        CsvProblem(8, "expected 3 fields, got 2"),
        CsvProblem(9, "bad phone number 'banana'"),
    )
    message = str(caught.value)
    assert "line 3: bad K#" in message and "line 9: bad phone" in message
    async with session_maker() as session:
        assert await get_account(session, k_number="K123456") is None


async def test_a_row_with_several_faults_is_one_bad_row(session_maker: SessionMaker) -> None:
    text = "k_number,name,phones\nK12,,+1 555 123 4567;banana\nK222222,Fine,\n"
    with pytest.raises(CsvImportError) as caught:
        await import_accounts_csv(session_maker, text)
    assert caught.value.problems == (
        CsvProblem(
            2,
            "bad K# 'K12' (expected K[0-9]{4,10}); missing name; bad phone number '+1 555 123 4567'; "
            "bad phone number 'banana'",
        ),
    )
    assert str(caught.value).startswith("1 bad row(s) in the accounts CSV")


async def test_the_readme_caller_id_is_accepted(session_maker: SessionMaker) -> None:
    # README's caller-ID example (also `intake call --from`'s default): fictional, and still a valid number.
    text = "k_number,name,phones\nK123456,Acme Imaging,+12025550143\n"
    assert await import_accounts_csv(session_maker, text) == 1
    async with session_maker() as session:
        account = await find_account_by_phone(session, e164="+12025550143")
    assert account is not None and account.k_number == "K123456"


async def test_a_k_number_reads_as_the_dialogue_reads_it(session_maker: SessionMaker) -> None:
    # The dialogue takes "K# 765432" from a customer; the importer takes it from a CSV the same way.
    assert await import_accounts_csv(session_maker, "k_number,name,phones\nk# 765432,West Clinic,\n", now=T0) == 1
    async with session_maker() as session:
        west = await get_account(session, k_number="K765432")
    assert west is not None and west.name == "West Clinic"


async def test_the_deployments_k_format_applies(session_maker: SessionMaker) -> None:
    text = "k_number,name,phones\nK1234,Old style,\n"
    with pytest.raises(CsvImportError):
        await import_accounts_csv(session_maker, text, account_format=AccountFormat("K", 6, 6))
    assert await import_accounts_csv(session_maker, text, account_format=AccountFormat("K", 4, 4)) == 1


@pytest.mark.parametrize("header", ["k,name,phones", "k_number,name", "", "name,k_number,phones"])
async def test_wrong_header_is_refused(session_maker: SessionMaker, header: str) -> None:
    with pytest.raises(CsvImportError) as caught:
        await import_accounts_csv(session_maker, f"{header}\nK123456,North,\n")
    assert [p.line for p in caught.value.problems] == [1]


async def test_find_account_by_phone(session_maker: SessionMaker) -> None:
    await import_accounts_csv(
        session_maker,
        "k_number,name,phones\n"
        "K111111,One,617 253 1000\n"
        "K222222,Two,+1 202 555 0143\n"
        "K333333,Three,+1 202 555 0143\n",  # a reseller's line shared by two accounts
    )
    async with session_maker() as session:
        one = await find_account_by_phone(session, e164="+16172531000")
        assert one is not None and one.k_number == "K111111"
        national = await find_account_by_phone(session, e164="(617) 253-1000")
        assert national is not None and national.k_number == "K111111"
        assert await find_account_by_phone(session, e164="+12025550143") is None  # ambiguous
        assert await find_account_by_phone(session, e164="+13125550100") is None  # unknown
        assert await find_account_by_phone(session, e164="anonymous") is None


CONTACTS = """k_number,name,phones,emails,timezone,notify
K123456,North Clinic,617 253 1000,pacs-admin@north.example; IT@North.example,America/Chicago,
K2345,South Imaging,,,,sms
"""


async def test_contacts_timezone_and_preference_are_imported(session_maker: SessionMaker) -> None:
    assert await import_accounts_csv(session_maker, CONTACTS, now=T0) == 2
    async with session_maker() as session:
        north = await get_account(session, k_number="K123456")
        south = await get_account(session, k_number="K2345")
    assert north is not None and south is not None
    assert north.emails == ["pacs-admin@north.example", "IT@north.example"]  # the domain is case-blind
    assert north.timezone == "America/Chicago"
    assert north.notify_by == "email"  # an empty preference is email
    assert south.emails == [] and south.timezone == "" and south.notify_by == "sms"


async def test_a_file_without_the_contact_columns_keeps_them(session_maker: SessionMaker) -> None:
    # Existing three-column files keep working, and re-importing one does not wipe what a fuller file set.
    await import_accounts_csv(session_maker, CONTACTS, now=T0)
    await import_accounts_csv(session_maker, "k_number,name,phones\nK123456,North Clinic Inc,617 253 1000\n")
    await import_accounts_csv(session_maker, "k_number,name,phones,emails\nK2345,South,,ops@south.example\n")
    async with session_maker() as session:
        north = await get_account(session, k_number="K123456")
        south = await get_account(session, k_number="K2345")
    assert north is not None and south is not None
    assert north.name == "North Clinic Inc"
    assert north.emails == ["pacs-admin@north.example", "IT@north.example"]
    assert north.timezone == "America/Chicago"
    assert south.emails == ["ops@south.example"] and south.notify_by == "sms"


async def test_bad_contacts_are_reported_and_nothing_is_written(session_maker: SessionMaker) -> None:
    bad = (
        "k_number,name,phones,emails,timezone,notify\n"
        "K123456,North,,not-an-address,Mars/Olympus,fax\n"
        "K2345,South,,ok@south.example,America/New_York,email\n"
    )
    with pytest.raises(CsvImportError) as caught:
        await import_accounts_csv(session_maker, bad, now=T0)
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert "bad email address 'not-an-address'" in problem.reason
    assert "unknown time zone 'Mars/Olympus'" in problem.reason
    assert "notify must be email or sms" in problem.reason
    async with session_maker() as session:
        assert await get_account(session, k_number="K2345") is None


async def test_a_header_out_of_order_is_refused(session_maker: SessionMaker) -> None:
    with pytest.raises(CsvImportError) as caught:
        await import_accounts_csv(session_maker, "k_number,name,phones,timezone\nK123456,North,,UTC\n")
    expected = "header must be 'k_number,name,phones[,emails[,timezone[,notify[,commitment]]]]'"
    assert expected in caught.value.problems[0].reason


async def test_the_availability_commitment_is_imported_and_kept(session_maker: SessionMaker) -> None:
    # single (99.0%) unless the file says clustered (99.9%); a file without the column keeps what was set.
    header = "k_number,name,phones,emails,timezone,notify,commitment\n"
    await import_accounts_csv(session_maker, header + "K123456,North,,,,,Clustered\nK2345,South,,,,,\n", now=T0)
    await import_accounts_csv(session_maker, "k_number,name,phones\nK123456,North Inc,\nK7654321,New,\n", now=T0)
    async with session_maker() as session:
        north = await get_account(session, k_number="K123456")
        south = await get_account(session, k_number="K2345")
        new = await get_account(session, k_number="K7654321")
    assert north is not None and south is not None and new is not None
    assert (north.commitment, south.commitment, new.commitment) == ("clustered", "single", "single")
    with pytest.raises(CsvImportError) as caught:
        await import_accounts_csv(session_maker, header + "K2345,South,,,,,triple\n", now=T0)
    assert "commitment must be single or clustered, got 'triple'" in caught.value.problems[0].reason
