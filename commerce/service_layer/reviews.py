"""Review use cases. Customers address only their own review of a product ("mine"), so no
call can reach someone else's review."""

from __future__ import annotations

from commerce.domain import events
from commerce.domain.errors import NotFound, ProductNotFound
from commerce.domain.events import utcnow
from commerce.domain.products import Product
from commerce.domain.reviews import RatingSummary, Review, validate_review
from commerce.service_layer.account_lock import share_lock_account
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


class ReviewNotFound(NotFound):
    code = "review_not_found"


def _product(uow: SqlAlchemyUnitOfWork, sku: str) -> Product:
    product = uow.products.get(sku)
    if product is None or product.id is None or not product.is_active:
        raise ProductNotFound(f"no product with sku {sku!r}", {"sku": sku})
    return product


def add_review(
    uow: SqlAlchemyUnitOfWork,
    user_id: str,
    sku: str,
    rating: int,
    title: str,
    body: str,
    request_id: str | None = None,
) -> Review:
    validate_review(rating, title, body)
    with uow:
        share_lock_account(uow, user_id)  # an erasure in flight then sees this review
        product = _product(uow, sku)
        assert product.id is not None
        verified = uow.reviews.has_bought(user_id, product.id)
        now = utcnow()
        uow.reviews.add(
            {
                "product_id": product.id,
                "user_id": user_id,
                "rating": rating,
                "title": title,
                "body": body,
                "verified_purchase": verified,
                "created_at": now,
                "updated_at": now,
            }
        )
        uow.emit(
            events.ProductRated(
                user_id=user_id,
                product_id=sku,
                request_id=request_id,
                rating=rating,
                verified_purchase=verified,
            )
        )
        review = uow.reviews.mine(product.id, user_id)
        if review is None:
            raise ReviewNotFound("you have not reviewed this product", {"sku": sku})
        uow.commit()
    return review


def update_review(
    uow: SqlAlchemyUnitOfWork, user_id: str, sku: str, rating: int, title: str, body: str
) -> Review:
    validate_review(rating, title, body)
    with uow:
        share_lock_account(uow, user_id)  # as add_review
        product = _product(uow, sku)
        assert product.id is not None
        before = uow.reviews.mine(product.id, user_id)
        if before is None:
            raise ReviewNotFound("you have not reviewed this product", {"sku": sku})
        changed = uow.reviews.update_mine(
            product.id,
            user_id,
            {"rating": rating, "title": title, "body": body, "updated_at": utcnow()},
        )
        if not changed:  # deleted after it was read
            raise ReviewNotFound("you have not reviewed this product", {"sku": sku})
        if rating != before.rating:
            uow.emit(
                events.ProductRated(
                    user_id=user_id,
                    product_id=sku,
                    rating=rating,
                    verified_purchase=before.verified_purchase,
                    previous_rating=before.rating,
                )
            )
        review = uow.reviews.mine(product.id, user_id)
        if review is None:
            raise ReviewNotFound("you have not reviewed this product", {"sku": sku})
        uow.commit()
    return review


def delete_review(uow: SqlAlchemyUnitOfWork, user_id: str, sku: str) -> None:
    with uow:
        product = _product(uow, sku)
        assert product.id is not None
        before = uow.reviews.mine(product.id, user_id)
        if before is None or not uow.reviews.delete_mine(product.id, user_id):
            raise ReviewNotFound("you have not reviewed this product", {"sku": sku})
        uow.emit(events.ReviewDeleted(user_id=user_id, product_id=sku, rating=before.rating))
        uow.commit()


def product_reviews(
    uow: SqlAlchemyUnitOfWork, sku: str, page: int, size: int
) -> tuple[list[Review], RatingSummary]:
    with uow:
        product = _product(uow, sku)
        assert product.id is not None
        return uow.reviews.for_product(product.id, page, size), uow.reviews.summary(product.id)
