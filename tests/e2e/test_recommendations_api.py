"""GET /recommendations/{user} and /products/{id}/similar through the whole API: the champion
comes from the embedded MLflow registry, and a promotion reaches the running API."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from commerce.service_layer.catalog import create_product
from commerce.service_layer.inventory import receive_stock
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.champion import DEFAULT_NAME
from emporium.wiring import Container
from models.tracking.runs import configure
from models.training import train_and_register


def blocks(users: int = 12) -> pd.DataFrame:
    """The first half of the users buy items 10-15, the others 20-25 (users 0-5 and 6-11 by
    default); user k skips one item of its block."""
    rows = []
    for u in range(users):
        block = range(10, 16) if u < users // 2 else range(20, 26)
        rows += [(u, i) for j, i in enumerate(block) if j != u % 6]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


def stock_the_shop(container: Container, out_of_stock: tuple[str, ...] = ("23",)) -> None:
    """Every item of ``blocks`` as a listed product, with stock except ``out_of_stock``."""
    for sku in [str(i) for i in (*range(10, 16), *range(20, 26))]:
        uow = SqlAlchemyUnitOfWork(container.session_factory)
        create_product(uow, {"sku": sku, "name": f"item {sku}", "price": "1.00", "currency": "GBP"})
        if sku not in out_of_stock:
            receive_stock(SqlAlchemyUnitOfWork(container.session_factory), sku, 5)


def register(container: Container, l2: float, margin: float = 0.0) -> str:
    s = container.settings
    configure(s.mlflow_tracking_uri, s.mlflow.experiment, s.mlflow_artifact_root)
    test = pd.DataFrame({"user_id": [1, 7], "item_id": [11, 21]})
    out = train_and_register(
        "ease", {"l2": l2}, blocks(), test, DEFAULT_NAME, "test", "ndcg@10", margin
    )
    return out.version


def test_recommendations_follow_the_registered_champion(
    container: Container, client: TestClient
) -> None:
    assert container.champion is not None
    container.champion.ttl = 0.0  # look at the registry on every request
    stock_the_shop(container)
    none_yet = client.get("/recommendations/1")
    assert none_yet.status_code == 503
    assert none_yet.json()["error"]["code"] == "no_model"
    # A malformed request is the caller's to fix, model or not.
    assert client.get(f"/products/{'x' * 200}/similar").status_code == 422
    assert client.get(f"/recommendations/{'u' * 200}").status_code == 422
    too_many = ",".join(str(i) for i in range(500))
    assert client.get("/recommendations/1", params={"items": too_many}).status_code == 422

    register(container, l2=1.0)
    body = client.get("/recommendations/1", params={"n": 1}).json()
    assert body["personalised"] and body["model_version"] == "1"
    assert [i["item_id"] for i in body["items"]] == ["11"]  # the one item of its block it lacks

    visitor = client.get("/recommendations/v-123", params={"items": "20,21,22", "n": 3}).json()
    assert visitor["personalised"]
    ids = [i["item_id"] for i in visitor["items"]]
    assert len(ids) == 3 and set(ids[:2]) == {"24", "25"} and "23" not in ids  # 23 has no stock
    anything = client.get(
        "/recommendations/v-123", params={"items": "20,21,22", "n": 3, "in_stock": "false"}
    ).json()
    assert {i["item_id"] for i in anything["items"]} == {"23", "24", "25"}
    stranger = client.get("/recommendations/v-456").json()
    assert not stranger["personalised"] and len(stranger["items"]) == 10

    similar = [i["item_id"] for i in client.get("/products/21/similar").json()["items"]]
    assert set(similar[:4]) == {"20", "22", "24", "25"} and "23" not in similar

    register(container, l2=5.0, margin=-1.0)  # a forced promotion
    assert client.get("/recommendations/1").json()["model_version"] == "2"


def test_the_answer_is_filled_when_most_top_items_cannot_be_sold(
    container: Container, client: TestClient
) -> None:
    # The visitor's block (20-25) is out of stock, and so is most of the other block: the
    # model's top 3 (for n=1, x3) are all unsellable, so it is asked again for more.
    stock_the_shop(container, out_of_stock=("23", "24", "25", "10", "11", "12", "13", "14"))
    register(container, l2=1.0)
    visitor = client.get("/recommendations/v-1", params={"items": "20,21,22", "n": 1}).json()
    assert [i["item_id"] for i in visitor["items"]] == ["15"]
    similar = client.get("/products/21/similar", params={"n": 2}).json()
    assert {i["item_id"] for i in similar["items"]} == {"20", "22"}
    alone = client.get("/products/20/similar", params={"n": 5}).json()
    assert {i["item_id"] for i in alone["items"]} == {"21", "22", "15"}  # all that is sellable


def test_bad_input_is_a_4xx_with_a_stable_code(container: Container, client: TestClient) -> None:
    assert container.champion is not None
    container.champion.ttl = 0.0
    register(container, l2=1.0)
    cases = [
        ("/products/99/similar", {}, 404, "unknown_item"),
        ("/recommendations/1", {"n": 0}, 422, "validation_error"),
        ("/recommendations/1", {"n": 101}, 422, "validation_error"),
        ("/recommendations/1", {"n": "ten"}, 422, "validation_error"),
        ("/recommendations/1", {"items": ",".join(map(str, range(201)))}, 422, "validation_error"),
        ("/recommendations/" + "x" * 65, {}, 422, "validation_error"),
        ("/products/" + "x" * 65 + "/similar", {}, 422, "validation_error"),
    ]
    for path, params, status, code in cases:
        response = client.get(path, params=params)
        assert response.status_code == status, (path, params, response.text)
        assert response.json()["error"]["code"] == code


def test_a_ranker_champion_serves_the_storefront(container: Container, client: TestClient) -> None:
    """The ranker (tuned on validation, as `emporium models train --model ranker` does) is
    registered like any model and answers both endpoints, folding a visitor's items in."""
    from models.benchmark import Candidate
    from models.protocols import msr_valid_split
    from models.recommenders import EASE, ItemKNN, TimeDecayedPopularity
    from models.training import tuned_ranker

    assert container.champion is not None
    container.champion.ttl = 0.0
    stock_the_shop(container)
    s = container.settings
    configure(s.mlflow_tracking_uri, s.mlflow.experiment, s.mlflow_artifact_root)
    train = blocks(users=60)  # enough users for the ranker's inner split to have labels
    families = [
        Candidate("ease", EASE, [{"l2": 1.0}]),
        Candidate("itemknn", ItemKNN, [{"similarity": "cosine", "k": 10}]),
        Candidate("popularity", TimeDecayedPopularity, [{"half_life_days": None}]),
    ]
    model, params = tuned_ranker(
        train, msr_valid_split, random_inner_split=True, candidates=families, progress=print
    )
    test = pd.DataFrame({"user_id": [1, 7], "item_id": [11, 21]})
    out = train_and_register("ranker", params, train, test, DEFAULT_NAME, "test", model=model)
    assert out.decision.promoted

    # How well a booster ranks six-item blocks is not the point here (its inner split leaves
    # users fewer items than serving sees); that it serves the storefront's contract is.
    body = client.get("/recommendations/1", params={"n": 5}).json()
    assert body["personalised"] and body["model_version"] == out.version
    ids = [i["item_id"] for i in body["items"]]
    scores = [i["score"] for i in body["items"]]
    assert len(ids) == 5 and "11" in ids and "23" not in ids and scores == sorted(scores)[::-1]
    assert not set(ids) & {"10", "12", "13", "14", "15"}  # user 1's own items
    visitor = client.get("/recommendations/v-9", params={"items": "20,21,22", "n": 3}).json()
    assert visitor["personalised"]
    assert not {i["item_id"] for i in visitor["items"]} & {"20", "21", "22", "23"}
    similar = client.get("/products/21/similar", params={"n": 4}).json()["items"]
    assert len(similar) == 4 and not {i["item_id"] for i in similar} & {"21", "23"}


def test_an_erased_account_is_not_served_from_what_the_model_learnt_of_it(
    container: Container, client: TestClient
) -> None:
    """Until the next training leaves them out, the champion still holds an erased user's
    history: the API must not use it, and serves them as a visitor instead."""
    stock_the_shop(container)
    password = "correct horse battery"
    login = {"email": "erased-soon@example.com", "password": password}
    assert client.post("/auth/register", json=login).status_code == 201
    token = client.post("/auth/login", json=login).json()["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    user_id = client.get("/me", headers=me).json()["id"]
    train = blocks().astype({"user_id": str}).replace({"user_id": {"1": user_id}})
    configure(container.settings.mlflow_tracking_uri, container.settings.mlflow.experiment,
              container.settings.mlflow_artifact_root)  # fmt: skip
    test = pd.DataFrame({"user_id": [user_id, "7"], "item_id": [11, 21]})
    train_and_register("ease", {"l2": 1.0}, train, test, DEFAULT_NAME, "test", "ndcg@10", 0.0)
    known = client.get(f"/recommendations/{user_id}", params={"n": 1}).json()
    assert known["personalised"] and [i["item_id"] for i in known["items"]] == ["11"]

    erase = {"current_password": password}
    assert client.request("DELETE", "/users/me", headers=me, json=erase).status_code == 204
    forgotten = client.get(f"/recommendations/{user_id}", params={"n": 3}).json()
    assert not forgotten["personalised"]
    assert [i["item_id"] for i in forgotten["items"]] == ["10", "11", "12"]  # the most popular
    visit = {"items": "20,21,22", "n": 3, "in_stock": "false"}
    visiting = client.get(f"/recommendations/{user_id}", params=visit).json()
    assert visiting["personalised"]
    assert {i["item_id"] for i in visiting["items"]} == {"23", "24", "25"}  # this visit only
    # Another user of the same model is still served from their history.
    other = client.get("/recommendations/2", params={"n": 1}).json()
    assert other["personalised"] and [i["item_id"] for i in other["items"]] == ["12"]
