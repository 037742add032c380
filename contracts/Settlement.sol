// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Memory} from "@openzeppelin/contracts/utils/Memory.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

/// @title Tributary Settlement
/// @notice Settles payments signed by their payer (EIP-712) in one ERC-20 token. A payment settles many
///         fees at once (answer fees split by their attribution records, "Pay a Datanet" fees): the payer
///         signs ONE payment holding the Merkle root of its fees (`feesRoot`) and the recipients' totals
///         (`splits`), so anyone holding the fees and their attribution records can recompute every payout
///         (docs/SETTLEMENT.md). Recipients are paid at once (DIRECT) or through epoch Merkle roots of
///         cumulative earnings that they claim (POOLED); the payer signs which.
/// @dev Rules enforced on chain for every payment of a batch:
///      - its id is its EIP-712 digest (domain {name "Tributary Settlement", version "2", chainId, this}),
///        so it is derived from the signed content: nobody but the payer can make a payment with that id,
///        and a payment can be settled once;
///      - the signature is the payer's (EOA via ECDSA with canonical low-s, contract wallets via ERC-1271);
///      - not expired (`block.timestamp <= deadline`), `total > 0`, at least one fee under a non-zero root,
///        payout mode 0 or 1 (signed, so no relayer can change it);
///      - every split names a non-zero recipient (not this contract) and a role 0..4; a TREASURY split
///        names the current `treasury`; splits sum exactly to `total`;
///      - each payment's total is pulled from its own payer (one `transferFrom` per payment).
///      Zero and dust: a split of 0 is allowed (its event is emitted, nothing moves); the contract never
///      divides. Rounding happens off chain (core/feeSplit). Fee-on-transfer and rebasing tokens are not
///      supported.
///
///      Epoch roots: `epoch` is the number of the last block whose `SplitPooled` events the root covers
///      (so `epoch < block.number`); leaves are OpenZeppelin StandardMerkleTree
///      `[address account, uint256 cumulativeAmount]`. A root's declared total must not exceed what was
///      ever pooled and never decreases; claims under a root can never pay out, in all, more than its
///      declared total (`totalClaimed <= currentRootTotal`), so leaves that add up to more than the
///      declared total cannot be paid beyond it.
///
///      Claims for another address (`claimFor`): an account that holds no gas or no wallet (a browser's
///      local key) signs a `ClaimAuthorization` (EIP-712, same domain) naming the recipient, its leaf's
///      cumulative amount, what it had claimed before (`claimed[account]` when signed) and a deadline;
///      anyone submits it. Binding `claimedBefore` is the replay protection: any claim of the account
///      moves `claimed[account]`, so a used (or outdated) authorisation no longer verifies.
contract Settlement is AccessControlDefaultAdminRules, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using TransientSlot for *;

    /// @notice One recipient's part of a payment.
    struct Split {
        address recipient;
        /// 0 contributor, 1 datanet owner, 2 adapter owner, 3 model owner, 4 treasury.
        uint8 role;
        uint256 amount;
    }

    /// @notice A payment as the payer signs it: many fees, one signature.
    struct Payment {
        address payer;
        /// Random per payment, so two payments with equal content still differ.
        bytes32 nonce;
        /// Sum of the fees; what is pulled from the payer.
        uint256 total;
        uint64 deadline;
        /// 0 DIRECT, 1 POOLED.
        uint8 payoutMode;
        /// StandardMerkleTree root over the fees' leaves (see docs/SETTLEMENT.md).
        bytes32 feesRoot;
        uint32 feeCount;
        Split[] splits;
    }

    /// @notice May post epoch roots (separate from the admin).
    bytes32 public constant ROOT_POSTER_ROLE = keccak256("ROOT_POSTER_ROLE");
    /// @notice EIP-712 type hash of `Split`.
    bytes32 public constant SPLIT_TYPEHASH = keccak256("Split(address recipient,uint8 role,uint256 amount)");
    /// @notice EIP-712 type hash of `Payment`.
    bytes32 public constant PAYMENT_TYPEHASH = keccak256(
        "Payment(address payer,bytes32 nonce,uint256 total,uint64 deadline,uint8 payoutMode,bytes32 feesRoot,uint32 feeCount,Split[] splits)Split(address recipient,uint8 role,uint256 amount)"
    );

    /// @notice EIP-712 type hash of `ClaimAuthorization` (see {claimFor}).
    bytes32 public constant CLAIM_AUTHORIZATION_TYPEHASH = keccak256(
        "ClaimAuthorization(address account,address recipient,uint256 cumulativeAmount,uint256 claimedBefore,uint64 deadline)"
    );

    /// @notice Payout mode: transfer each recipient's amount now (aggregated per recipient in a batch).
    uint8 public constant PAYOUT_DIRECT = 0;
    /// @notice Payout mode: keep the amounts in the claim pool; recipients claim via epoch roots.
    uint8 public constant PAYOUT_POOLED = 1;
    /// @notice Role of the treasury's split; its recipient must be `treasury`.
    uint8 public constant ROLE_TREASURY = 4;

    // Transient list of the distinct recipients of DIRECT payments in a batch: length at the base slot,
    // item i at base + 1 + i. A recipient's running amount lives at transient slot uint160(recipient);
    // both are cleared before the batch returns. (keccak-derived slots never fall below 2**160.)
    bytes32 private constant _DIRECT_LIST = keccak256("tributary.settlement.direct-recipients");

    /// @notice The token every fee is paid in.
    IERC20 public immutable token;
    /// @notice Receiver of every TREASURY split.
    address public treasury;

    /// @notice Whether a payment (by its id, the EIP-712 digest) has been settled.
    mapping(bytes32 paymentId => bool) public settled;
    /// @notice Cumulative amount each account has claimed from the pool.
    mapping(address account => uint256) public claimed;

    /// @notice Everything ever credited to the claim pool (POOLED splits).
    uint128 public totalPooled;
    /// @notice Everything ever paid out by claims.
    uint128 public totalClaimed;
    /// @notice The latest epoch root (zero before the first post).
    bytes32 public currentRoot;
    /// @notice The latest epoch (last block covered by the latest root).
    uint64 public currentEpoch;
    /// @notice Sum of all leaves of the latest root, as posted: the cap on all claims under it.
    uint192 public currentRootTotal;

    /// @notice A payment was settled. `feesRoot` commits to its fees (and so to their attribution records).
    event PaymentSettled(
        bytes32 indexed paymentId, address indexed payer, uint256 total, uint8 payoutMode, bytes32 feesRoot, uint32 feeCount
    );
    /// @notice A split was paid by transfer (DIRECT). Transfers are aggregated per recipient per batch.
    event SplitPaid(bytes32 indexed paymentId, address indexed recipient, uint8 role, uint256 amount);
    /// @notice A split was credited to the claim pool (POOLED). Epoch roots are built from these events.
    event SplitPooled(bytes32 indexed paymentId, address indexed recipient, uint8 role, uint256 amount);
    /// @notice A new epoch root was posted.
    event EpochRootPosted(uint64 indexed epoch, bytes32 root, uint256 cumulativeTotal);
    /// @notice `account`'s pool earnings were paid to `recipient` by its signed authorisation ({claimFor}).
    event ClaimedFor(address indexed account, address indexed recipient, uint256 amount);
    /// @notice The treasury address changed.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);

    /// @notice A batch needs at least one payment.
    error EmptyBatch();
    /// @notice Each payment needs exactly one signature.
    error LengthMismatch(uint256 payments, uint256 signatures);
    /// @notice Payout mode is neither 0 (DIRECT) nor 1 (POOLED).
    error InvalidPayoutMode(bytes32 paymentId, uint8 payoutMode);
    /// @notice The signature is not the payer's signature of this exact payment on this chain and contract.
    error InvalidSignature(bytes32 paymentId, address payer);
    /// @notice The payment's deadline has passed.
    error PaymentExpired(bytes32 paymentId, uint64 deadline);
    /// @notice The payment was settled before (in this batch or an earlier one).
    error AlreadySettled(bytes32 paymentId);
    /// @notice A payment's total must be positive.
    error ZeroTotal(bytes32 paymentId);
    /// @notice A payment must commit to at least one fee (non-zero root, count >= 1).
    error NoFees(bytes32 paymentId);
    /// @notice The splits do not add up to the total.
    error SplitSumMismatch(bytes32 paymentId, uint256 total, uint256 splitsTotal);
    /// @notice A split's recipient is the zero address or this contract.
    error InvalidRecipient(bytes32 paymentId, uint256 splitIndex);
    /// @notice A split's role is above 4.
    error InvalidRole(bytes32 paymentId, uint256 splitIndex, uint8 role);
    /// @notice A TREASURY split does not name the treasury.
    error TreasuryMismatch(bytes32 paymentId, uint256 splitIndex, address recipient);
    /// @notice A zero address was given.
    error ZeroAddress();
    /// @notice A root must not be zero.
    error ZeroRoot();
    /// @notice Epochs must strictly increase.
    error EpochNotIncreasing(uint64 epoch, uint64 currentEpoch);
    /// @notice An epoch names a block that is not yet final (`epoch >= block.number`).
    error EpochInFuture(uint64 epoch, uint256 blockNumber);
    /// @notice The root's total exceeds what was ever pooled.
    error RootTotalExceedsPool(uint256 cumulativeTotal, uint256 totalPooled);
    /// @notice Cumulative credits never shrink: a root's total must be at least the previous root's.
    error RootTotalDecreasing(uint256 cumulativeTotal, uint256 currentRootTotal);
    /// @notice No epoch root has been posted yet.
    error NoRootPosted();
    /// @notice The proof does not show `[account, cumulativeAmount]` under the current root.
    error InvalidProof(address account, uint256 cumulativeAmount);
    /// @notice The account already claimed at least `cumulativeAmount`.
    error NothingToClaim(address account, uint256 cumulativeAmount, uint256 alreadyClaimed);
    /// @notice A claim authorisation names no usable recipient (zero or this contract).
    error InvalidClaimRecipient(address recipient);
    /// @notice The claim authorisation's deadline has passed.
    error ClaimAuthorizationExpired(address account, uint64 deadline);
    /// @notice The signature is not `account`'s authorisation of exactly this claim (recipient, amount, claimed
    ///         before, deadline) on this chain and contract, or it is malleable; `signer` is who it recovers to.
    error InvalidClaimAuthorization(address account, address signer);
    /// @notice Paying this claim would make all claims exceed the current root's declared total.
    error ClaimExceedsRootTotal(uint256 totalClaimedAfter, uint256 currentRootTotal);

    /// @param token_ The ERC-20 every fee is paid in.
    /// @param treasury_ Receiver of TREASURY splits.
    /// @param admin Gets DEFAULT_ADMIN_ROLE (grants and revokes roles, changes the treasury; handed over in
    ///        two steps, `beginDefaultAdminTransfer` then `acceptDefaultAdminTransfer`).
    /// @param rootPoster Gets ROOT_POSTER_ROLE (may be another key than the admin).
    constructor(IERC20 token_, address treasury_, address admin, address rootPoster)
        AccessControlDefaultAdminRules(0, admin)
        EIP712("Tributary Settlement", "2")
    {
        if (address(token_) == address(0) || treasury_ == address(0) || rootPoster == address(0)) revert ZeroAddress();
        token = token_;
        treasury = treasury_;
        _grantRole(ROOT_POSTER_ROLE, rootPoster);
        emit TreasuryChanged(address(0), treasury_);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Settles payments, pulling each one's total from its payer (needs an allowance).
    /// @param payments The payments (any payers).
    /// @param signatures Each payer's EIP-712 signature of its payment, in the same order.
    function settleBatch(Payment[] calldata payments, bytes[] calldata signatures) external nonReentrant {
        uint256 n = payments.length;
        if (n == 0) revert EmptyBatch();
        if (n != signatures.length) revert LengthMismatch(n, signatures.length);
        address treasury_ = treasury;
        bool anyDirect;
        for (uint256 i; i < n; ++i) {
            anyDirect = _settleOne(payments[i], signatures[i], treasury_) || anyDirect;
        }
        if (anyDirect) _payDirect();
    }

    /// @notice As {settleBatch} for one payment, after an EIP-2612 permit from its payer to this contract
    ///         for exactly its total. A failing permit (e.g. already used by a front-runner) is ignored:
    ///         the allowance then decides.
    function settleWithPermit(
        Payment calldata payment,
        bytes calldata signature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        try IERC20Permit(address(token)).permit(payment.payer, address(this), payment.total, permitDeadline, v, r, s) {}
            catch {}
        if (_settleOne(payment, signature, treasury)) _payDirect();
    }

    /// @dev Checks one payment, marks it settled, emits its events, pulls its total and (DIRECT) adds its
    ///      splits to the transient per-recipient totals. Returns whether it is DIRECT.
    function _settleOne(Payment calldata p, bytes calldata signature, address treasury_) private returns (bool direct) {
        Memory.Pointer mark = Memory.getFreeMemoryPointer();
        bytes32 id = _hashTypedDataV4(_paymentStructHash(p));
        address payer = p.payer;
        if (!SignatureChecker.isValidSignatureNowCalldata(payer, id, signature)) revert InvalidSignature(id, payer);
        // Memory used for hashing is scratch: give it back so a large batch does not pay for it again.
        Memory.unsafeSetFreeMemoryPointer(mark);

        if (settled[id]) revert AlreadySettled(id);
        if (block.timestamp > p.deadline) revert PaymentExpired(id, p.deadline);
        uint8 mode = p.payoutMode;
        if (mode > PAYOUT_POOLED) revert InvalidPayoutMode(id, mode);
        uint256 total = p.total;
        if (total == 0) revert ZeroTotal(id);
        if (p.feesRoot == bytes32(0) || p.feeCount == 0) revert NoFees(id);
        direct = mode == PAYOUT_DIRECT;

        settled[id] = true;
        emit PaymentSettled(id, payer, total, mode, p.feesRoot, p.feeCount);

        Split[] calldata splits = p.splits;
        uint256 m = splits.length;
        uint256 sum;
        for (uint256 j; j < m; ++j) {
            Split calldata sp = splits[j];
            address to = sp.recipient;
            uint8 role = sp.role;
            uint256 amount = sp.amount;
            if (to == address(0) || to == address(this)) revert InvalidRecipient(id, j);
            if (role > ROLE_TREASURY) revert InvalidRole(id, j, role);
            if (role == ROLE_TREASURY && to != treasury_) revert TreasuryMismatch(id, j, to);
            sum += amount;
            if (direct) {
                emit SplitPaid(id, to, role, amount);
                if (amount != 0) _addDirect(to, amount);
            } else {
                emit SplitPooled(id, to, role, amount);
            }
        }
        if (sum != total) revert SplitSumMismatch(id, total, sum);
        if (!direct) totalPooled = SafeCast.toUint128(uint256(totalPooled) + total);
        token.safeTransferFrom(payer, address(this), total);
    }

    function _addDirect(address to, uint256 amount) private {
        TransientSlot.Uint256Slot slot = bytes32(uint256(uint160(to))).asUint256();
        uint256 prev = slot.tload();
        if (prev == 0) {
            TransientSlot.Uint256Slot lengthSlot = _DIRECT_LIST.asUint256();
            uint256 len = lengthSlot.tload();
            bytes32(uint256(_DIRECT_LIST) + 1 + len).asAddress().tstore(to);
            lengthSlot.tstore(len + 1);
        }
        slot.tstore(prev + amount);
    }

    function _payDirect() private {
        TransientSlot.Uint256Slot lengthSlot = _DIRECT_LIST.asUint256();
        uint256 len = lengthSlot.tload();
        for (uint256 i; i < len; ++i) {
            address to = bytes32(uint256(_DIRECT_LIST) + 1 + i).asAddress().tload();
            TransientSlot.Uint256Slot slot = bytes32(uint256(uint160(to))).asUint256();
            uint256 amount = slot.tload();
            slot.tstore(0);
            token.safeTransfer(to, amount);
        }
        lengthSlot.tstore(0);
    }

    function _paymentStructHash(Payment calldata p) private pure returns (bytes32) {
        Split[] calldata splits = p.splits;
        uint256 m = splits.length;
        bytes32[] memory hashes = new bytes32[](m);
        for (uint256 j; j < m; ++j) {
            Split calldata sp = splits[j];
            hashes[j] = keccak256(abi.encode(SPLIT_TYPEHASH, sp.recipient, sp.role, sp.amount));
        }
        return keccak256(
            abi.encode(
                PAYMENT_TYPEHASH,
                p.payer,
                p.nonce,
                p.total,
                p.deadline,
                p.payoutMode,
                p.feesRoot,
                p.feeCount,
                keccak256(abi.encodePacked(hashes))
            )
        );
    }

    /// @notice A payment's id: the EIP-712 digest the payer signs (same as viem's `hashTypedData`).
    function paymentId(Payment calldata payment) external view returns (bytes32) {
        return _hashTypedDataV4(_paymentStructHash(payment));
    }

    // ---------------------------------------------------------------- epoch claims

    /// @notice Posts the Merkle root of cumulative pooled credits through block `epoch`. ROOT_POSTER_ROLE.
    /// @param epoch Last block covered; must exceed the current epoch and be below `block.number`.
    /// @param root StandardMerkleTree root over `[address account, uint256 cumulativeAmount]`.
    /// @param cumulativeTotal Sum of the leaves; at least the current root's total, at most `totalPooled`.
    function postEpochRoot(uint64 epoch, bytes32 root, uint256 cumulativeTotal) external onlyRole(ROOT_POSTER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (epoch <= currentEpoch) revert EpochNotIncreasing(epoch, currentEpoch);
        if (epoch >= block.number) revert EpochInFuture(epoch, block.number);
        if (cumulativeTotal > totalPooled) revert RootTotalExceedsPool(cumulativeTotal, totalPooled);
        if (cumulativeTotal < currentRootTotal) revert RootTotalDecreasing(cumulativeTotal, currentRootTotal);
        currentRoot = root;
        currentEpoch = epoch;
        currentRootTotal = uint192(cumulativeTotal);
        emit EpochRootPosted(epoch, root, cumulativeTotal);
    }

    /// @notice Pays `account` what the current root credits it beyond what it already claimed. Anyone may
    ///         call it for any account; the tokens always go to `account`.
    /// @param account The leaf's account (receives the tokens).
    /// @param cumulativeAmount The leaf's cumulative credit.
    /// @param proof StandardMerkleTree proof of `[account, cumulativeAmount]` under `currentRoot`.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external nonReentrant {
        _claim(account, account, cumulativeAmount, proof, claimed[account]);
    }

    /// @dev The claim itself, shared by {claim} and {claimFor}: proof under the current root, something new
    ///      to claim, the root's cap; then `claimed[account]` moves and `recipient` is paid. Returns the payout.
    function _claim(address account, address recipient, uint256 cumulativeAmount, bytes32[] calldata proof, uint256 already)
        private
        returns (uint256 payout)
    {
        bytes32 root = currentRoot;
        if (root == bytes32(0)) revert NoRootPosted();
        bytes32 leaf;
        assembly ("memory-safe") {
            // StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))
            mstore(0x00, account)
            mstore(0x20, cumulativeAmount)
            mstore(0x00, keccak256(0x00, 0x40))
            leaf := keccak256(0x00, 0x20)
        }
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof(account, cumulativeAmount);
        if (cumulativeAmount <= already) revert NothingToClaim(account, cumulativeAmount, already);
        payout = cumulativeAmount - already;
        // The root's declared total caps all claims under it: leaves adding up to more cannot be paid more.
        uint256 claimedAfter = uint256(totalClaimed) + payout;
        if (claimedAfter > currentRootTotal) revert ClaimExceedsRootTotal(claimedAfter, currentRootTotal);
        totalClaimed = uint128(claimedAfter); // <= currentRootTotal <= totalPooled < 2**128
        claimed[account] = cumulativeAmount;
        // {claim} has no event of its own: the token's Transfer(this -> account, amount) and `claimed(account)` say it.
        token.safeTransfer(recipient, payout);
    }

    /// @notice Pays what the current root credits `account` beyond what it already claimed to `recipient`,
    ///         as `account` authorised by its EIP-712 `ClaimAuthorization` signature. Anyone may submit it.
    ///         `claimed(account)` moves exactly as in {claim}, so the authorisation cannot be used twice,
    ///         and a claim made meanwhile (by {claim} or another authorisation) voids it.
    /// @param account The leaf's account and the signer (an EOA: ECDSA, canonical low-s, no ERC-1271).
    /// @param recipient Receives the tokens; must be the signed one (not zero, not this contract).
    /// @param cumulativeAmount The leaf's cumulative credit, as signed.
    /// @param proof StandardMerkleTree proof of `[account, cumulativeAmount]` under `currentRoot`.
    /// @param deadline Last second (block timestamp) the authorisation may be used, as signed.
    /// @param signature 65-byte `r, s, v` signature of the authorisation by `account`.
    function claimFor(
        address account,
        address recipient,
        uint256 cumulativeAmount,
        bytes32[] calldata proof,
        uint64 deadline,
        bytes calldata signature
    ) external nonReentrant {
        if (recipient == address(0) || recipient == address(this)) revert InvalidClaimRecipient(recipient);
        if (block.timestamp > deadline) revert ClaimAuthorizationExpired(account, deadline);
        uint256 already = claimed[account];
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CLAIM_AUTHORIZATION_TYPEHASH, account, recipient, cumulativeAmount, already, deadline))
        );
        // tryRecover refuses malleable (high-s) signatures, bad lengths and v, and the zero address.
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer != account) revert InvalidClaimAuthorization(account, signer);
        uint256 payout = _claim(account, recipient, cumulativeAmount, proof, already);
        emit ClaimedFor(account, recipient, payout);
    }

    /// @notice The EIP-712 digest `account` signs to authorise {claimFor} (same as viem's `hashTypedData`).
    function claimAuthorizationDigest(
        address account,
        address recipient,
        uint256 cumulativeAmount,
        uint256 claimedBefore,
        uint64 deadline
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(CLAIM_AUTHORIZATION_TYPEHASH, account, recipient, cumulativeAmount, claimedBefore, deadline))
        );
    }

    // ---------------------------------------------------------------- admin

    /// @notice Changes the treasury. DEFAULT_ADMIN_ROLE. Unsettled payments naming the old treasury then
    ///         fail with `TreasuryMismatch` and must be signed again.
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }
}
